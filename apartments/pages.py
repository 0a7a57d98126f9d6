"""The grid worker's phone tool: my tasks today, the checklist with photos, hazards, coverage, reports.

Plain Django views on the normal session (log in at /admin/login/); they parse the request
and call apartments.inspections / hazards / coverage / reports.
"""

from __future__ import annotations

import mimetypes

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from accounts.models import Role
from apartments import reports
from apartments.coverage import missing_patrols, tasks_for
from apartments.hazards import (
    hazard_counts,
    hazard_reassign,
    hazard_rectify,
    hazard_review,
    hazards_for,
    hazards_to_rectify,
    hazards_to_review,
    may_rectify,
    may_review,
    overdue_hazards,
)
from apartments.inspections import (
    Answer,
    Position,
    inspection_add_photo,
    inspection_answer,
    inspection_discard,
    inspection_sign,
    inspection_start,
    inspections_for,
    is_street,
    kinds_for,
)
from apartments.models import (
    Enterprise,
    Hazard,
    Inspection,
    InspectionKind,
    InspectionPhoto,
    Outcome,
    Severity,
)
from apartments.scoping import apartments_for
from shijiao.errors import DomainError
from shijiao.images import ImageRejected

PAGE_ROLES = {
    Role.STREET_ADMIN,
    Role.GRID_WORKER,
    Role.INSPECTOR,
    Role.PROPERTY_MANAGER,
    Role.ENTERPRISE,
    Role.FIRE_SAFETY_PERSON,
    Role.STATION_OPERATOR,
}
REPORT_ROLES = {Role.STREET_ADMIN, Role.GRID_WORKER, Role.INSPECTOR, Role.PROPERTY_MANAGER}


def _staff(request: HttpRequest) -> None:
    user = request.user
    if not (user.is_superuser or user.role in PAGE_ROLES):
        raise PermissionDenied(_("巡查工具仅对工作人员开放"))


def _position(request: HttpRequest) -> Position | None:
    try:
        return Position.parse(request.POST.get("latitude"), request.POST.get("longitude"), request.POST.get("accuracy"))
    except DomainError:
        return None  # a phone's odd position must not lose the inspection; it is simply not recorded


def _upload(file) -> tuple[bytes, str]:
    return file.read(), file.name or "photo.jpg"


@login_required
def today(request: HttpRequest) -> HttpResponse:
    _staff(request)
    user = request.user
    day = timezone.localdate()
    hazards = hazards_for(user)
    to_review = hazards_to_review(user).select_related("apartment").order_by("deadline")[:50]
    to_rectify = hazards_to_rectify(user).select_related("apartment").order_by("deadline")[:50]
    mine = inspections_for(user).filter(inspector=user)
    kinds = kinds_for(user)
    context = {
        "day": day,
        "tasks": tasks_for(user, day),
        "unfinished": mine.filter(status=Inspection.Status.IN_PROGRESS).select_related("apartment"),
        "done_today": mine.filter(status=Inspection.Status.SIGNED, signed_at__date=day).select_related("apartment"),
        "to_review": to_review,
        "to_rectify": to_rectify if not is_street(user) else [],
        "today": day,
        "counts": hazard_counts(hazards),
        "kinds": [(k, InspectionKind(k).label) for k in kinds],
        "blocks": apartments_for(user).filter(is_active=True).order_by("code") if kinds else [],
        "may_report": user.is_superuser or user.role in REPORT_ROLES,
        "nav": "today",
    }
    return render(request, "inspections/today.html", context)


@login_required
@require_POST
def start(request: HttpRequest) -> HttpResponse:
    _staff(request)
    apartment = get_object_or_404(apartments_for(request.user), pk=request.POST.get("apartment") or 0)
    try:
        inspection = inspection_start(
            apartment=apartment, kind=request.POST.get("kind", ""), inspector=request.user, position=_position(request)
        )
    except (DomainError, PermissionDenied) as exc:
        messages.error(request, _message(exc))
        return redirect("inspections:today")
    return redirect("inspections:checklist", pk=inspection.pk)


def _message(exc: Exception) -> str:
    if isinstance(exc, DomainError):
        return exc.message
    return str(exc) or _("您无权执行此操作")


@login_required
def checklist(request: HttpRequest, pk: int) -> HttpResponse:
    _staff(request)
    inspection = get_object_or_404(
        inspections_for(request.user).select_related("apartment__grid", "template", "inspector"), pk=pk
    )
    editable = inspection.inspector_id == request.user.pk and not inspection.is_signed
    results = list(inspection.results.all().prefetch_related("photos"))
    photo_errors: list[str] = []
    if request.method == "POST":
        if not editable:
            raise PermissionDenied(_("这份检查不能再修改"))
        action = request.POST.get("action", "save")
        if action == "discard":
            inspection_discard(inspection=inspection, by=request.user)
            messages.info(request, _("已放弃这次检查"))
            return redirect("inspections:today")
        answers = {
            r.pk: Answer(
                outcome=request.POST.get(f"outcome_{r.pk}", ""),
                note=request.POST.get(f"note_{r.pk}", ""),
                severity=request.POST.get(f"severity_{r.pk}") or None,
            )
            for r in results
        }
        try:
            # Answers are saved first, so nothing typed is lost whatever happens to the photos.
            inspection_answer(inspection=inspection, by=request.user, answers=answers)
        except DomainError as exc:
            messages.error(request, _message(exc))
            return redirect("inspections:checklist", pk=pk)
        inspection.summary = request.POST.get("summary", "").strip()[:2000]
        inspection.save(update_fields=["summary"])
        by_result = {r.pk: r for r in results}
        for field, files in request.FILES.lists():
            key = field.removeprefix("photo_")  # photo_<result id>, or photo_general for the whole block
            result = by_result.get(int(key)) if key.isdigit() else None
            for file in files:
                try:
                    data, name = _upload(file)
                    inspection_add_photo(inspection=inspection, by=request.user, data=data, name=name, result=result)
                except ImageRejected as exc:
                    photo_errors.append(_("照片「%(name)s」未保存: %(reason)s") % {"name": file.name, "reason": exc})
        if action == "sign" and not photo_errors:
            if not request.POST.get("confirm"):
                messages.error(request, _("请勾选「本人确认以上检查情况属实」后再签字提交"))
                return redirect("inspections:checklist", pk=pk)
            try:
                hazards = inspection_sign(
                    inspection=inspection,
                    by=request.user,
                    summary=inspection.summary,
                    position=_position(request),
                )
            except DomainError as exc:
                messages.error(request, _message(exc))
                return redirect("inspections:checklist", pk=pk)
            if hazards:
                messages.warning(
                    request, _("检查已签字提交, 发现 %(n)d 处隐患, 已列入责任方的整改清单") % {"n": len(hazards)}
                )
            else:
                messages.success(request, _("检查已签字提交, 全部合格"))
            return redirect("inspections:today")
        for error in photo_errors:
            messages.error(request, error)
        if not photo_errors:
            messages.success(request, _("已暂存"))
        return redirect("inspections:checklist", pk=pk)
    answered = sum(1 for r in results if r.outcome)
    context = {
        "inspection": inspection,
        "results": results,
        "editable": editable,
        "answered": answered,
        "outcomes": Outcome.choices,
        "severities": Severity.choices,
        "general_photos": inspection.photos.filter(result__isnull=True),
        "hazards": inspection.hazards.all() if inspection.is_signed else [],
        "today": timezone.localdate(),
        "nav": "today",
    }
    return render(request, "inspections/checklist.html", context)


HAZARD_TABS = [  # lazy: the labels are read per request, in its language
    ("open", gettext_lazy("待整改")),
    ("submitted", gettext_lazy("待复查")),
    ("overdue", gettext_lazy("已逾期")),
    ("closed", gettext_lazy("已销号")),
    ("all", gettext_lazy("全部")),
]


@login_required
def hazard_list(request: HttpRequest) -> HttpResponse:
    _staff(request)
    scope = hazards_for(request.user).select_related("apartment", "responsible_company", "responsible_enterprise")
    tab = request.GET.get("tab", "open")
    if tab == "overdue":
        qs = overdue_hazards(qs=scope)
    elif tab in (Hazard.Status.OPEN, Hazard.Status.SUBMITTED, Hazard.Status.CLOSED):
        qs = scope.filter(status=tab)
    else:
        tab, qs = "all", scope
    search = request.GET.get("q", "").strip()
    if search:
        qs = qs.filter(Q(title__icontains=search) | Q(apartment__name__icontains=search))
    qs = qs.order_by("-closed_at" if tab == "closed" else "deadline", "-id")[:200]
    context = {
        "hazards": qs,
        "tab": tab,
        "tabs": HAZARD_TABS,
        "q": search,
        "counts": hazard_counts(scope),
        "today": timezone.localdate(),
        "nav": "hazards",
    }
    return render(request, "inspections/hazards.html", context)


@login_required
def hazard_detail(request: HttpRequest, pk: int) -> HttpResponse:
    _staff(request)
    hazard = get_object_or_404(
        hazards_for(request.user).select_related(
            "apartment__grid", "responsible_company", "responsible_enterprise", "created_by", "inspection"
        ),
        pk=pk,
    )
    user = request.user
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "rectify":
                files = [_upload(f) for f in request.FILES.getlist("photos")]
                hazard_rectify(hazard=hazard, by=user, description=request.POST.get("description", ""), photos=files)
                messages.success(request, _("整改情况已提交, 等待复查"))
            elif action in ("close", "return"):
                new_deadline = parse_date(request.POST.get("new_deadline") or "") if action == "return" else None
                hazard_review(
                    hazard=hazard,
                    by=user,
                    accept=action == "close",
                    note=request.POST.get("note", ""),
                    new_deadline=new_deadline,
                )
                messages.success(request, _("复查通过, 隐患已销号") if action == "close" else _("已退回责任方重新整改"))
            elif action == "reassign":
                enterprise_id = request.POST.get("enterprise")
                enterprise = get_object_or_404(Enterprise, pk=enterprise_id) if enterprise_id else None
                hazard_reassign(hazard=hazard, by=user, enterprise=enterprise)
                messages.success(request, _("责任方已变更"))
            else:
                raise DomainError(_("未知的操作"))
        except (DomainError, PermissionDenied, ImageRejected) as exc:
            messages.error(request, _message(exc) if not isinstance(exc, ImageRejected) else str(exc))
        return redirect("inspections:hazard", pk=pk)
    reviewer = may_review(user, hazard)
    context = {
        "hazard": hazard,
        "today": timezone.localdate(),
        "photos": hazard.photos.filter(rectification__isnull=True),
        "rectifications": hazard.rectifications.select_related("submitted_by", "reviewed_by").prefetch_related(
            "photos"
        ),
        "events": hazard.events.select_related("actor"),
        "may_rectify": hazard.status == Hazard.Status.OPEN and may_rectify(user, hazard),
        "may_review": hazard.status == Hazard.Status.SUBMITTED and reviewer,
        "may_reassign": hazard.status != Hazard.Status.CLOSED and reviewer,
        "enterprises": Enterprise.objects.filter(grid=hazard.apartment.grid).order_by("name") if reviewer else [],
        "nav": "hazards",
    }
    return render(request, "inspections/hazard.html", context)


@login_required
def photo(request: HttpRequest, pk: int, size: str) -> FileResponse:
    """A photo, only to someone who may see its hazard or its inspection."""
    _staff(request)
    item = get_object_or_404(InspectionPhoto, pk=pk)
    user = request.user
    visible = (item.hazard_id and hazards_for(user).filter(pk=item.hazard_id).exists()) or (
        item.inspection_id and inspections_for(user).filter(pk=item.inspection_id).exists()
    )
    if not visible:
        raise Http404
    field = item.thumbnail if size == "thumb" else item.image
    content_type = mimetypes.guess_type(field.name)[0] or "application/octet-stream"
    response = FileResponse(field.open("rb"), content_type=content_type)
    response["Cache-Control"] = "private, max-age=86400"
    return response


@login_required
def coverage(request: HttpRequest) -> HttpResponse:
    _staff(request)
    day = parse_date(request.GET.get("date") or "") or timezone.localdate()
    blocks = apartments_for(request.user)
    missing = missing_patrols(day, apartments=blocks)
    by_grid: dict[str, list] = {}
    for gap in missing:
        by_grid.setdefault(str(gap.apartment.grid), []).append(gap)
    context = {
        "day": day,
        "by_grid": sorted(by_grid.items()),
        "missing_count": len(missing),
        "block_count": blocks.filter(is_active=True).count(),
        "nav": "coverage",
    }
    return render(request, "inspections/coverage.html", context)


@login_required
def report(request: HttpRequest) -> HttpResponse:
    _staff(request)
    user = request.user
    if not (user.is_superuser or user.role in REPORT_ROLES):
        raise PermissionDenied(_("您的角色无权查看月报"))
    try:
        year, month = reports.parse_month(request.GET.get("month"))
    except ValueError as exc:
        messages.error(request, str(exc))
        year, month = reports.parse_month(None)
    data = reports.monthly_report(year, month, apartments=apartments_for(user))
    fmt = request.GET.get("format")
    if fmt in ("xlsx", "pdf"):
        body = reports.report_xlsx(data) if fmt == "xlsx" else reports.report_pdf(data)
        content_type = (
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" if fmt == "xlsx" else "application/pdf"
        )
        response = HttpResponse(body, content_type=content_type)
        response["Content-Disposition"] = f'attachment; filename="inspections-{year}-{month:02d}.{fmt}"'
        return response
    context = {
        "report": data,
        "month_value": f"{year}-{month:02d}",
        "months": reports.recent_months(12),
        "nav": "report",
    }
    return render(request, "inspections/report.html", context)
