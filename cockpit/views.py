"""Entry points of the cockpit: the big screen, the drill-down, their JSON, and the weekly reports."""

from __future__ import annotations

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.csrf import ensure_csrf_cookie
from django.views.decorators.http import require_GET
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import Role
from accounts.permissions import roles_allowed
from apartments.models import Apartment
from cockpit import live, reports, sources
from cockpit.basemap import basemap
from cockpit.blocks import block_detail
from cockpit.overview import blocks_for, may_use_cockpit, overview
from cockpit.plan import plan_svg
from shijiao.errors import DomainError

IsCockpitUser = roles_allowed(Role.STREET_ADMIN, Role.STATION_OPERATOR)


def cockpit_page(view):
    """Pages for cockpit users only: others log in first, or see a plain refusal in their language."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not may_use_cockpit(request.user):
            return render(request, "cockpit/forbidden.html", status=403)
        return view(request, *args, **kwargs)

    return wrapper


def _block_for(request: HttpRequest, pk: int) -> Apartment:
    return get_object_or_404(
        blocks_for(request.user).select_related("grid__community", "property_company", "micro_fire_station"), pk=pk
    )


@require_GET
@cockpit_page
def screen(request: HttpRequest) -> HttpResponse:
    """The big screen (drawn at 1920×1080, scaled to any wall); the first view and every open alarm come
    embedded, so it draws without waiting for the API or the WebSocket."""
    return render(
        request,
        "cockpit/screen.html",
        {
            "overview": overview(request.user),
            "basemap": (tiles := basemap(blocks_for(request.user))),
            "plan": "" if tiles else plan_svg(blocks_for(request.user)),
            "live": live.open_alarms(request.user),
            "alerts_ws": sources.ALERTS_WS_PATH,
        },
    )


@require_GET
@xframe_options_sameorigin  # the big screen shows the drill-down in a frame over the plan
@ensure_csrf_cookie  # the one-click command posts to the alerts API from this page
@cockpit_page
def block_page(request: HttpRequest, pk: int) -> HttpResponse:
    apartment = _block_for(request, pk)
    return render(
        request,
        "cockpit/block.html",
        {"apartment": apartment, "detail": block_detail(apartment), "embedded": request.GET.get("embed") == "1"},
    )


@require_GET
@cockpit_page
def weekly_report(request: HttpRequest, fmt: str) -> HttpResponse:
    """The weekly report of the district (or the viewer's area), or of one block with ``?block=<id>``."""
    apartment = None
    block = request.GET.get("block", "")
    if block:
        if not block.isdigit():
            raise Http404
        apartment = _block_for(request, int(block))
    data = reports.weekly_data(request.user, apartment=apartment, end=timezone.localdate())
    stem = f"weekly-{apartment.code if apartment else 'district'}-{data['end']}"
    if fmt == "pdf":
        return HttpResponse(
            reports.render_pdf(data),
            content_type="application/pdf",
            headers={"Content-Disposition": f'attachment; filename="{stem}.pdf"'},
        )
    return HttpResponse(
        reports.render_xlsx(data),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": f'attachment; filename="{stem}.xlsx"'},
    )


class OverviewView(APIView):
    """GET /api/v1/cockpit/overview: the big screen's figures, trends, blocks, top ten and key-work panels."""

    permission_classes = [IsCockpitUser]

    @extend_schema(responses=OpenApiTypes.OBJECT, summary="驾驶舱大屏数据")
    def get(self, request):
        return Response(overview(request.user))


class BlockDetailView(APIView):
    """GET /api/v1/cockpit/blocks/<id>: one block's floors, rooms, devices, people and open matters."""

    permission_classes = [IsCockpitUser]

    @extend_schema(responses=OpenApiTypes.OBJECT, summary="公寓下钻详情")
    def get(self, request, pk: int):
        apartment = blocks_for(request.user).filter(pk=pk).first()
        if apartment is None:
            raise DomainError(_("没有这个公寓，或不在您的辖区内"), code="not_found", status_code=404)
        return Response(block_detail(apartment))


class OpenAlarmsView(APIView):
    """GET /api/v1/cockpit/alarms: every open alarm in the viewer's scope, in handling order."""

    permission_classes = [IsCockpitUser]

    @extend_schema(responses=OpenApiTypes.OBJECT, summary="驾驶舱未处置报警")
    def get(self, request):
        return Response(live.open_alarms(request.user))


class AlarmTimelineView(APIView):
    """GET /api/v1/cockpit/alarms/<id>/timeline: what happened when, who was reached, what each device did."""

    permission_classes = [IsCockpitUser]

    @extend_schema(responses=OpenApiTypes.OBJECT, summary="报警处置时间线")
    def get(self, request, pk: int):
        data = live.alarm_timeline(request.user, pk)
        if data is None:
            raise DomainError(_("没有这条报警，或不在您的辖区内"), code="not_found", status_code=404)
        return Response(data)
