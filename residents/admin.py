from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.helpers import ActionForm
from django.http import HttpRequest, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

from accounts.audit import Purpose, audit_pii_read, purpose_from
from accounts.models import Department, ReadPurpose, Role
from accounts.permissions import RoleAdminMixin
from apartments.scoping import ALL, VIEW, ScopedAdmin, apartments_for
from residents import faces, gaps, permits, registration, selfservice, tenancies
from residents.idcard import id_number_problem
from residents.models import (
    AccessCredential,
    AccessEvent,
    FaceConsent,
    FaceDoorGrant,
    FaceEnrolment,
    Notice,
    ResidencePermit,
    ResidenceRegistration,
    Resident,
    SuspiciousMovement,
    Tenancy,
    TenancyRequest,
)
from residents.scope import scope_residents
from shijiao.errors import DomainError
from shijiao.pii import blind_index

RESIDENT_STAFF = {
    Role.STREET_ADMIN: ALL,
    Role.PROPERTY_MANAGER: ALL,
    Role.GRID_WORKER: VIEW,
    Role.INSPECTOR: VIEW,
}
READ_ONLY = {Role.STREET_ADMIN: VIEW, Role.PROPERTY_MANAGER: VIEW, Role.GRID_WORKER: VIEW, Role.INSPECTOR: VIEW}
REVIEW = {Role.STREET_ADMIN: ALL, Role.PROPERTY_MANAGER: {"view", "change"}, Role.INSPECTOR: {"view", "change"}}
PII_FIELDS = ("id_number", "phone", "birth_date", "emergency_contact_name", "emergency_contact_phone")


def sees_full_pii(user) -> bool:
    """Roles that need clear ID numbers and phones: the street, property managers, the police."""
    if user.is_superuser or user.role in (Role.STREET_ADMIN, Role.PROPERTY_MANAGER):
        return True
    return user.role == Role.INSPECTOR and user.department == Department.POLICE


def _run(request, modeladmin, rows, fn, done) -> None:
    """Apply ``fn`` to each row; ``done`` is an ``ngettext_lazy(..., "n")`` message for the count that worked."""
    ok = 0
    for row in rows:
        try:
            fn(row)
            ok += 1
        except DomainError as exc:
            modeladmin.message_user(request, f"{row}: {exc.message}", messages.WARNING)
    if ok:
        modeladmin.message_user(request, done % {"n": ok}, messages.SUCCESS)


class ReasonActionForm(ActionForm):
    """The action bar with a reason box: returning a registration, rejecting or revoking a permit need one."""

    reason = forms.CharField(
        label=_("原因"), required=False, max_length=255, widget=forms.TextInput(attrs={"size": 40})
    )


def _reason(request) -> str:
    return request.POST.get("reason", "")


class ResidentForm(forms.ModelForm):
    class Meta:
        model = Resident
        fields = (
            "name",
            "id_number",
            "phone",
            "gender",
            "birth_date",
            "hometown",
            "employer",
            "emergency_contact_name",
            "emergency_contact_phone",
        )
        widgets = {"emergency_contact_name": forms.TextInput(attrs={"maxlength": 64})}

    def clean_id_number(self) -> str:
        value = (self.cleaned_data.get("id_number") or "").strip().upper()
        problem = id_number_problem(value)
        if problem:
            raise forms.ValidationError(problem)
        clash = Resident.objects.filter(id_number_hash=blind_index(value)).exclude(pk=self.instance.pk)
        if clash.exists():
            raise forms.ValidationError(_("该身份证号已登记为新市民"))
        return value


class TenancyInline(admin.TabularInline):
    model = Tenancy
    extra = 0
    fields = ("room", "bed", "check_in", "check_out")
    readonly_fields = ("room", "bed", "check_in", "check_out")
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None) -> bool:
        return False  # check-in goes through the tenancy page, where capacity is enforced


class RegistrationGapFilter(admin.SimpleListFilter):
    """人来不登记: active tenancies without a residence registration, within or past the deadline."""

    title = _("居住登记缺口")
    parameter_name = "registration"

    def lookups(self, request, model_admin):
        return (("missing", _("未登记 (期限内)")), ("overdue", _("逾期未登记")))

    def queryset(self, request, queryset):
        if self.value() == "overdue":
            return registration.overdue_registrations(queryset)
        if self.value() == "missing":
            overdue = registration.overdue_registrations(queryset).values("pk")
            return registration.unregistered_tenancies(queryset).exclude(pk__in=overdue)
        return queryset


class HousedScopedAdmin(ScopedAdmin):
    """Rows of residents: staff see them only while the person lives in one of their blocks (residents.scope)."""

    apartment_path = None
    resident_path = "resident"

    def get_queryset(self, request):
        qs = admin.ModelAdmin.get_queryset(self, request)
        return scope_residents(qs, request.user, resident_path=self.resident_path)


def clear_read_purpose(request) -> Purpose | None:
    """The purpose stated for seeing clear values on an admin page (``?purpose=...&reason=...``), if valid."""
    if not sees_full_pii(request.user) or not request.GET.get("purpose"):
        return None
    try:
        return purpose_from(request.GET.get("purpose"), request.GET.get("reason"))
    except DomainError:
        return None


MASKED = {
    "id_number": "id_number_masked",
    "phone": "phone_masked",
    "emergency_contact_name": "emergency_contact_name_masked",
    "emergency_contact_phone": "emergency_contact_phone_masked",
}


@admin.register(Resident)
class ResidentAdmin(HousedScopedAdmin):
    """Lists and change pages show masked values; the clear values appear on the change page only after the
    reader states a purpose (street, property managers, police), and every such view is in the audit log.
    The clear birth date never appears next to the masked ID number (together they give the whole number)."""

    resident_path = ""
    role_actions = RESIDENT_STAFF
    form = ResidentForm
    change_list_template = "residents/resident_changelist.html"
    change_form_template = "residents/resident_change_form.html"
    list_display = ("name_masked", "id_number_masked", "phone_masked", "gender", "hometown", "employer", "created_at")
    list_filter = ("gender", "hometown")
    search_fields = ("name",)
    raw_id_fields = ("employer",)
    inlines = [TenancyInline]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("employer")

    def get_fields(self, request, obj=None):
        fields = ["name", "id_number", "phone", "gender", "birth_date", "hometown", "employer"]
        fields += ["emergency_contact_name", "emergency_contact_phone"]
        if obj is not None and clear_read_purpose(request) is None:
            return [MASKED.get(f, f) for f in fields if f != "birth_date"]
        return fields

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and clear_read_purpose(request) is None:
            return tuple(MASKED.values())
        return ()

    def change_view(self, request: HttpRequest, object_id, form_url="", extra_context=None):
        purpose = clear_read_purpose(request)
        extra_context = {
            **(extra_context or {}),
            "pii_purposes": ReadPurpose.choices if sees_full_pii(request.user) else None,
            "pii_purpose": purpose,
        }
        response = super().change_view(request, object_id, form_url, extra_context)
        if request.method == "GET" and purpose is not None and getattr(response, "status_code", 0) == 200:
            resident = self.get_object(request, object_id)
            if resident is not None:
                audit_pii_read(actor=request.user, target=resident, fields=PII_FIELDS, purpose=purpose, request=request)
        return response

    def get_search_results(self, request, queryset, search_term):
        """Searching a whole ID number or phone finds the person through the keyed hash."""
        term = search_term.strip()
        if len(term) in (11, 18) and term[:-1].isdigit():
            digest = blind_index(term)
            return queryset.filter(id_number_hash=digest) | queryset.filter(phone_hash=digest), False
        return super().get_search_results(request, queryset, search_term)

    @admin.display(description=_("姓名"), ordering="name")
    def name_masked(self, obj: Resident) -> str:
        return obj.name_masked

    @admin.display(description=_("身份证号"))
    def id_number_masked(self, obj: Resident) -> str:
        return obj.id_number_masked

    @admin.display(description=_("手机号"))
    def phone_masked(self, obj: Resident) -> str:
        return obj.phone_masked

    @admin.display(description=_("紧急联系人"))
    def emergency_contact_name_masked(self, obj: Resident) -> str:
        return obj.emergency_contact_name_masked

    @admin.display(description=_("紧急联系人电话"))
    def emergency_contact_phone_masked(self, obj: Resident) -> str:
        return obj.emergency_contact_phone_masked

    # --- the daily gap lists (人来不登记、人走不注销) ---

    def get_urls(self):
        return [path("gaps/", self.admin_site.admin_view(self.gaps_view), name="residents_gaps"), *super().get_urls()]

    def gaps_view(self, request: HttpRequest):
        if not (request.user.is_superuser or request.user.role in (*RESIDENT_STAFF, Role.GRID_WORKER)):
            return HttpResponseRedirect(reverse("admin:index"))
        blocks = apartments_for(request.user)
        if request.method == "POST" and request.POST.get("check_out"):
            if not request.user.has_role(Role.STREET_ADMIN, Role.PROPERTY_MANAGER):
                self.message_user(request, _("只有物业或街道可以办理退房"), messages.ERROR)
            else:
                tenancy = Tenancy.objects.filter(pk=request.POST["check_out"], room__apartment__in=blocks).first()
                if tenancy is not None:
                    try:
                        tenancies.resident_check_out(tenancy=tenancy, check_out=timezone.localdate(), by=request.user)
                        done = _("%(tenancy)s 已退房, 居住登记转入注销") % {"tenancy": tenancy}
                        self.message_user(request, done, messages.SUCCESS)
                    except DomainError as exc:
                        self.message_user(request, exc.message, messages.ERROR)
            return HttpResponseRedirect(request.path)
        today = timezone.localdate()
        context = {
            **self.admin_site.each_context(request),
            "title": _("今日核查清单"),
            "today": today,
            "regulars": gaps.unregistered_regulars(blocks, today=today),
            "silent": list(gaps.silent_residents(blocks, today=today)[:500]),
            "tailgating": list(gaps.tailgating_incidents(blocks, today=today)),
            "overdue": list(
                registration.overdue_registrations(Tenancy.objects.filter(room__apartment__in=blocks), today=today)[
                    :500
                ]
            ),
            "not_deregistered": list(
                registration.overdue_deregistrations(
                    ResidenceRegistration.objects.filter(tenancy__room__apartment__in=blocks), today=today
                )
            ),
            "can_check_out": request.user.has_role(Role.STREET_ADMIN, Role.PROPERTY_MANAGER),
            "silent_days": settings.GAP_SILENT_DAYS,
        }
        return TemplateResponse(request, "residents/gaps.html", context)


class TenancyForm(forms.ModelForm):
    class Meta:
        model = Tenancy
        fields = ("resident", "room", "bed", "check_in", "check_out")

    def clean(self):
        data = super().clean()
        room = data.get("room")
        if self.instance.pk is None and room is not None:
            occupied = Tenancy.objects.active().filter(room=room).count()
            if occupied >= room.capacity:
                raise forms.ValidationError(_("%(room)s 已住满 (%(n)d 人)") % {"room": room, "n": room.capacity})
            resident = data.get("resident")
            if resident is not None and Tenancy.objects.active().filter(resident=resident).exists():
                raise forms.ValidationError(_("该新市民已有在住记录, 请先退房或办理换房"))
        return data


@admin.register(Tenancy)
class TenancyAdmin(ScopedAdmin):
    apartment_path = "room__apartment"
    role_actions = RESIDENT_STAFF
    form = TenancyForm
    list_display = ("resident", "room", "bed", "check_in", "check_out", "registration_status", "registration_due")
    list_filter = (RegistrationGapFilter, "check_out", "room__apartment__grid__community")
    search_fields = ("room__number", "room__apartment__name")
    raw_id_fields = ("resident", "room")
    list_select_related = ("resident", "room__apartment", "registration")
    date_hierarchy = "check_in"
    actions = ["check_out_today"]

    def get_readonly_fields(self, request, obj=None):
        return ("resident", "room", "check_in", "check_out") if obj is not None else ()

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            return
        created = tenancies.resident_check_in(resident=obj.resident, room=obj.room, bed=obj.bed, check_in=obj.check_in)
        obj.pk, obj.bed = created.pk, created.bed

    @admin.display(description=_("居住登记"))
    def registration_status(self, obj: Tenancy) -> str:
        try:
            return obj.registration.get_status_display()
        except ResidenceRegistration.DoesNotExist:
            return _("未登记")

    @admin.action(description=_("一键退房 (今天)"))
    def check_out_today(self, request, queryset):
        _run(
            request,
            self,
            queryset.filter(check_out__isnull=True),
            lambda t: tenancies.resident_check_out(tenancy=t, check_out=timezone.localdate(), by=request.user),
            ngettext_lazy("已为 %(n)d 人办理退房", "已为 %(n)d 人办理退房", "n"),
        )


@admin.register(ResidenceRegistration)
class ResidenceRegistrationAdmin(ScopedAdmin):
    apartment_path = "tenancy__room__apartment"
    role_actions = REVIEW | {Role.GRID_WORKER: VIEW}
    list_display = ("resident", "tenancy", "status", "purpose", "submitted_at", "deregistration_due", "return_reason")
    list_filter = ("status", "purpose")
    list_select_related = ("resident", "tenancy__room__apartment")
    readonly_fields = [f.name for f in ResidenceRegistration._meta.fields]
    actions = ["confirm", "return_with_reason", "confirm_deregistration"]
    action_form = ReasonActionForm

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    @admin.action(description=_("确认登记"))
    def confirm(self, request, queryset):
        _run(
            request,
            self,
            queryset,
            lambda r: registration.registration_confirm(registration=r, by=request.user),
            ngettext_lazy("已确认 %(n)d 条登记", "已确认 %(n)d 条登记", "n"),
        )

    @admin.action(description=_("退回补正 (填写原因)"))
    def return_with_reason(self, request, queryset):
        _run(
            request,
            self,
            queryset,
            lambda r: registration.registration_return(registration=r, by=request.user, reason=_reason(request)),
            ngettext_lazy("已退回 %(n)d 条登记", "已退回 %(n)d 条登记", "n"),
        )

    @admin.action(description=_("确认注销"))
    def confirm_deregistration(self, request, queryset):
        _run(
            request,
            self,
            queryset,
            lambda r: registration.deregistration_confirm(registration=r, by=request.user),
            ngettext_lazy("已确认 %(n)d 条注销", "已确认 %(n)d 条注销", "n"),
        )


@admin.register(ResidencePermit)
class ResidencePermitAdmin(HousedScopedAdmin):
    role_actions = {Role.STREET_ADMIN: ALL, Role.INSPECTOR: {"view", "change"}, Role.PROPERTY_MANAGER: VIEW}
    list_display = ("resident", "number", "basis", "status", "applied_at", "valid_from", "valid_until")
    list_filter = ("status", "basis")
    readonly_fields = [f.name for f in ResidencePermit._meta.fields]
    actions = ["issue", "reject_with_reason", "revoke_with_reason"]
    action_form = ReasonActionForm

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    @admin.action(description=_("审核通过并签发"))
    def issue(self, request, queryset):
        done = ngettext_lazy("已签发 %(n)d 张居住证", "已签发 %(n)d 张居住证", "n")
        _run(request, self, queryset, lambda p: permits.permit_issue(permit=p, by=request.user), done)

    @admin.action(description=_("不予通过 (填写原因)"))
    def reject_with_reason(self, request, queryset):
        reason = _reason(request)
        done = ngettext_lazy("已驳回 %(n)d 份申请", "已驳回 %(n)d 份申请", "n")
        _run(request, self, queryset, lambda p: permits.permit_reject(permit=p, by=request.user, reason=reason), done)

    @admin.action(description=_("吊销 (填写原因)"))
    def revoke_with_reason(self, request, queryset):
        reason = _reason(request)
        done = ngettext_lazy("已吊销 %(n)d 张居住证", "已吊销 %(n)d 张居住证", "n")
        _run(request, self, queryset, lambda p: permits.permit_revoke(permit=p, by=request.user, reason=reason), done)


@admin.register(FaceConsent)
class FaceConsentAdmin(HousedScopedAdmin):
    role_actions = {Role.STREET_ADMIN: {"view", "change"}, Role.PROPERTY_MANAGER: {"view", "change"}}
    list_display = ("resident", "purpose_version", "channel", "granted_at", "withdrawn_at")
    list_filter = ("channel", "purpose_version")
    readonly_fields = [f.name for f in FaceConsent._meta.fields]
    actions = ["withdraw"]

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    @admin.action(description=_("撤回同意并立即删除人脸数据 (本人书面要求时)"))
    def withdraw(self, request, queryset):
        _run(
            request,
            self,
            queryset.filter(withdrawn_at__isnull=True),
            lambda c: faces.consent_withdraw(resident=c.resident, by=request.user, request=request),
            ngettext_lazy("已撤回 %(n)d 份同意并删除人脸数据", "已撤回 %(n)d 份同意并删除人脸数据", "n"),
        )


@admin.register(FaceEnrolment)
class FaceEnrolmentAdmin(HousedScopedAdmin):
    """Shows that a face is enrolled, never the encoding or a photo."""

    role_actions = {Role.STREET_ADMIN: VIEW, Role.PROPERTY_MANAGER: VIEW}
    list_display = ("resident", "consent", "created_at")
    fields = ("resident", "consent", "created_at", "created_by")
    readonly_fields = fields


@admin.register(AccessCredential)
class AccessCredentialAdmin(HousedScopedAdmin):
    role_actions = {Role.STREET_ADMIN: VIEW, Role.PROPERTY_MANAGER: VIEW}
    list_display = ("resident", "kind", "label", "issued_at", "revoked_at")
    list_filter = ("kind",)
    fields = ("resident", "kind", "label", "issued_at", "revoked_at")
    readonly_fields = fields


@admin.register(AccessEvent)
class AccessEventAdmin(ScopedAdmin):
    role_actions = READ_ONLY
    list_display = ("at", "apartment", "device", "resident", "method", "decision", "reason", "let_in_at")
    list_filter = ("decision", "method")
    list_select_related = ("apartment", "device", "resident")
    date_hierarchy = "at"
    fields = (
        "at",
        "apartment",
        "device",
        "resident",
        "method",
        "decision",
        "reason",
        "floors",
        "let_in_at",
        "let_in_by",
    )
    readonly_fields = fields
    actions = ["let_in"]

    def get_actions(self, request):
        actions = super().get_actions(request)
        if not request.user.has_role(Role.STREET_ADMIN, Role.PROPERTY_MANAGER):
            actions.pop("let_in", None)
        return actions

    @admin.action(description=_("远程开门 (访客)"))
    def let_in(self, request, queryset):
        from residents.doors import access_let_in

        done = ngettext_lazy("已为 %(n)d 位访客远程开门", "已为 %(n)d 位访客远程开门", "n")
        _run(request, self, queryset, lambda e: access_let_in(event=e, by=request.user), done)


@admin.register(SuspiciousMovement)
class SuspiciousMovementAdmin(ScopedAdmin):
    role_actions = READ_ONLY
    list_display = ("at", "apartment", "kind", "device", "detail")
    list_filter = ("kind",)
    date_hierarchy = "at"
    readonly_fields = ("at", "apartment", "kind", "device", "resident", "detail")
    fields = readonly_fields


@admin.register(TenancyRequest)
class TenancyRequestAdmin(ScopedAdmin):
    """入住申请 from the room QR: the block's property staff confirm (check-in + registration) or refuse."""

    apartment_path = "room__apartment"
    role_actions = {
        Role.STREET_ADMIN: {"view", "change"},
        Role.PROPERTY_MANAGER: {"view", "change"},
        Role.GRID_WORKER: VIEW,
    }
    list_display = ("resident", "room", "arrival", "status", "requested_at", "decided_by", "reason")
    list_filter = ("status",)
    list_select_related = ("resident", "room__apartment", "decided_by")
    readonly_fields = [f.name for f in TenancyRequest._meta.fields]
    actions = ["confirm", "refuse_with_reason"]
    action_form = ReasonActionForm

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    @admin.action(description=_("确认入住 (自动提交居住登记)"), permissions=["change"])
    def confirm(self, request, queryset):
        _run(
            request,
            self,
            queryset,
            lambda r: selfservice.tenancy_request_confirm(request=r, by=request.user),
            ngettext_lazy("已确认 %(n)d 个入住申请", "已确认 %(n)d 个入住申请", "n"),
        )

    @admin.action(description=_("拒绝 (填写原因)"), permissions=["change"])
    def refuse_with_reason(self, request, queryset):
        _run(
            request,
            self,
            queryset,
            lambda r: selfservice.tenancy_request_refuse(request=r, by=request.user, reason=_reason(request)),
            ngettext_lazy("已拒绝 %(n)d 个入住申请", "已拒绝 %(n)d 个入住申请", "n"),
        )


@admin.register(Notice)
class NoticeAdmin(RoleAdminMixin, admin.ModelAdmin):
    """Everyone sees their own notices here (property staff: new tenancy requests, unknown faces at the door)."""

    list_display = ("created_at", "title", "text", "next_step", "status", "channel", "read_at")
    list_filter = ("kind", "status")
    readonly_fields = ("created_at", "title", "text", "next_step", "link", "status", "channel", "sent_at", "error")
    fields = readonly_fields

    role_actions = {role: VIEW for role in Role.values if role != Role.RESIDENT}

    def get_queryset(self, request):
        return super().get_queryset(request).filter(recipient=request.user)

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(FaceDoorGrant)
class FaceDoorGrantAdmin(ScopedAdmin):
    """Staff let in by face at a block's doors: added explicitly (audited), revoked with the action."""

    role_actions = {Role.STREET_ADMIN: {"view", "add"}, Role.PROPERTY_MANAGER: {"view", "add"}}
    list_display = ("resident", "apartment", "reason", "granted_by", "granted_at", "revoked_at")
    list_filter = ("revoked_at",)
    raw_id_fields = ("resident", "apartment")
    fields = ("resident", "apartment", "reason")
    actions = ["revoke"]

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        if "apartment" in form.base_fields:
            form.base_fields["apartment"].queryset = apartments_for(request.user)
        return form

    def save_model(self, request, obj, form, change) -> None:
        if change:
            return
        grant = faces.face_grant(resident=obj.resident, apartment=obj.apartment, reason=obj.reason, by=request.user)
        obj.pk = grant.pk

    @admin.action(description=_("撤销刷脸授权"))
    def revoke(self, request, queryset):
        done = ngettext_lazy("已撤销 %(n)d 项授权", "已撤销 %(n)d 项授权", "n")
        _run(request, self, queryset, lambda g: faces.face_grant_revoke(grant=g, by=request.user), done)
