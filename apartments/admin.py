from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import Count, QuerySet
from django.http import HttpResponse
from django.utils.translation import gettext_lazy as _

from accounts.models import Role
from apartments import qr
from apartments.models import (
    Apartment,
    Community,
    Enterprise,
    Grid,
    MicroFireStation,
    PropertyCompany,
    Room,
    SubDistrict,
)
from apartments.scoping import ALL, VIEW, ScopedAdmin

STREET_ONLY = {Role.STREET_ADMIN: ALL}
PLACE_VIEWERS = {
    Role.STREET_ADMIN: ALL,
    Role.INSPECTOR: VIEW,
    Role.GRID_WORKER: VIEW,
    Role.STATION_OPERATOR: VIEW,
    Role.FIRE_SAFETY_PERSON: VIEW,
}


@admin.register(SubDistrict)
class SubDistrictAdmin(ScopedAdmin):
    apartment_path = None
    role_actions = STREET_ONLY
    list_display = ("name", "code")


@admin.register(Community)
class CommunityAdmin(ScopedAdmin):
    apartment_path = "grids__apartments"
    role_actions = PLACE_VIEWERS
    list_display = ("code", "name", "sub_district")
    search_fields = ("name", "code")

    def get_queryset(self, request):
        return super().get_queryset(request).distinct()


@admin.register(Grid)
class GridAdmin(ScopedAdmin):
    apartment_path = "apartments"
    role_actions = PLACE_VIEWERS
    list_display = ("code", "name", "community", "apartment_count")
    list_filter = ("community",)
    search_fields = ("name", "code", "workers__display_name")
    filter_horizontal = ("workers",)

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("community").annotate(n=Count("apartments")).distinct()

    @admin.display(description=_("公寓数"), ordering="n")
    def apartment_count(self, obj: Grid) -> int:
        return obj.n


@admin.register(PropertyCompany)
class PropertyCompanyAdmin(ScopedAdmin):
    apartment_path = "apartments"
    role_actions = {**PLACE_VIEWERS, Role.PROPERTY_MANAGER: VIEW}
    list_display = ("name", "contact_name", "contact_phone")
    search_fields = ("name", "contact_name")
    filter_horizontal = ("managers",)

    def get_queryset(self, request):
        return super().get_queryset(request).distinct()


@admin.register(MicroFireStation)
class MicroFireStationAdmin(ScopedAdmin):
    apartment_path = "apartments"
    role_actions = PLACE_VIEWERS
    list_display = ("name", "address", "duty_phone")
    search_fields = ("name", "address")
    filter_horizontal = ("operators",)

    def get_queryset(self, request):
        return super().get_queryset(request).distinct()


@admin.register(Enterprise)
class EnterpriseAdmin(ScopedAdmin):
    apartment_path = "grid__apartments"
    role_actions = {Role.STREET_ADMIN: ALL, Role.INSPECTOR: VIEW, Role.GRID_WORKER: VIEW}
    list_display = ("name", "credit_code", "industry", "grid")
    list_filter = ("industry", "grid__community")
    search_fields = ("name", "credit_code")
    filter_horizontal = ("staff",)

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("grid__community").distinct()


class RoomInline(admin.TabularInline):
    model = Room
    extra = 0
    fields = ("floor", "number", "kind", "capacity", "monthly_rent")
    show_change_link = True


@admin.register(Apartment)
class ApartmentAdmin(ScopedAdmin):
    apartment_path = ""
    role_actions = {**PLACE_VIEWERS, Role.PROPERTY_MANAGER: {"view", "change"}}
    list_display = (
        "code",
        "name",
        "grid",
        "property_company",
        "floors",
        "room_count",
        "fire_safety_person",
        "micro_fire_station",
        "is_active",
    )
    list_filter = ("grid__community", "grid", "property_company", "micro_fire_station", "is_active")
    search_fields = ("code", "name", "address", "fire_safety_person__display_name")
    list_select_related = ("grid__community", "property_company", "fire_safety_person", "micro_fire_station")
    autocomplete_fields = ()
    inlines = [RoomInline]
    actions = ["registration_poster"]

    def get_queryset(self, request) -> QuerySet[Apartment]:
        return super().get_queryset(request).annotate(n_rooms=Count("rooms"))

    @admin.action(description=_("打印登记二维码海报 (PDF: 公寓码 + 每个房间的码)"), permissions=["view"])
    def registration_poster(self, request, queryset):
        if queryset.count() != 1:
            self.message_user(request, _("请只选择一个公寓 (每个公寓一份海报)"), level=messages.WARNING)
            return None
        apartment = queryset.get()
        response = HttpResponse(qr.poster_pdf(apartment), content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="registration-qr-{apartment.code}.pdf"'
        return response

    @admin.display(description=_("房间数"), ordering="n_rooms")
    def room_count(self, obj: Apartment) -> int:
        return obj.n_rooms


@admin.register(Room)
class RoomAdmin(ScopedAdmin):
    role_actions = {**PLACE_VIEWERS, Role.PROPERTY_MANAGER: ALL}
    list_display = ("number", "apartment", "floor", "kind", "capacity", "monthly_rent")
    list_filter = ("kind", "floor", "apartment__grid__community")
    search_fields = ("number", "apartment__name", "apartment__code")
    list_select_related = ("apartment",)


# --- inspections ------------------------------------------------------------------------------------
# Checklists and plans are edited here by the street; inspections and hazards are done on the phone
# pages (/inspections/), so the admin shows them read-only, each role its own rows.

from accounts.permissions import RoleAdminMixin  # noqa: E402
from apartments.hazards import hazards_for  # noqa: E402
from apartments.inspections import inspections_for  # noqa: E402
from apartments.models import (  # noqa: E402
    ChecklistItem,
    ChecklistTemplate,
    Hazard,
    HazardEvent,
    Inspection,
    InspectionPlan,
    InspectionResult,
    Rectification,
)

INSPECTION_VIEWERS = {
    Role.STREET_ADMIN: VIEW,
    Role.INSPECTOR: VIEW,
    Role.GRID_WORKER: VIEW,
    Role.PROPERTY_MANAGER: VIEW,
    Role.FIRE_SAFETY_PERSON: VIEW,
    Role.STATION_OPERATOR: VIEW,
}


class ChecklistItemInline(RoleAdminMixin, admin.TabularInline):
    role_actions = {Role.STREET_ADMIN: ALL, Role.INSPECTOR: VIEW, Role.GRID_WORKER: VIEW}
    model = ChecklistItem
    extra = 1
    fields = ("order", "text", "guidance", "severity", "is_active")


@admin.register(ChecklistTemplate)
class ChecklistTemplateAdmin(RoleAdminMixin, admin.ModelAdmin):
    role_actions = {Role.STREET_ADMIN: ALL, Role.INSPECTOR: VIEW, Role.GRID_WORKER: VIEW}
    list_display = ("name", "kind", "item_count", "is_active", "updated_at")
    list_filter = ("kind", "is_active")
    search_fields = ("name", "items__text")
    inlines = [ChecklistItemInline]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(n_items=Count("items")).distinct()

    @admin.display(description=_("检查项数"), ordering="n_items")
    def item_count(self, obj: ChecklistTemplate) -> int:
        return obj.n_items

    def has_delete_permission(self, request, obj=None) -> bool:
        # Templates already used by inspections are protected; deactivate them instead.
        if obj is not None and obj.inspections.exists():
            return False
        return super().has_delete_permission(request, obj)


@admin.register(InspectionPlan)
class InspectionPlanAdmin(RoleAdminMixin, admin.ModelAdmin):
    role_actions = {Role.STREET_ADMIN: ALL, Role.INSPECTOR: VIEW, Role.GRID_WORKER: VIEW}
    list_display = ("kind", "apartment", "frequency_days", "is_active")
    list_filter = ("kind", "is_active")
    search_fields = ("apartment__name", "apartment__code")
    raw_id_fields = ("apartment",)


class InspectionResultInline(RoleAdminMixin, admin.TabularInline):
    role_actions = INSPECTION_VIEWERS
    model = InspectionResult
    extra = 0
    fields = ("text", "outcome", "severity", "note")
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Inspection)
class InspectionAdmin(ScopedAdmin):
    role_actions = INSPECTION_VIEWERS
    list_display = ("started_at", "apartment", "kind", "inspector", "status", "signed_at", "hazard_count")
    list_filter = ("kind", "status", "apartment__grid__community", "apartment__grid")
    search_fields = ("apartment__name", "apartment__code", "inspector__display_name", "inspector__username")
    date_hierarchy = "started_at"
    list_select_related = ("apartment", "inspector")
    readonly_fields = (
        "apartment",
        "template",
        "kind",
        "inspector",
        "status",
        "started_at",
        "signed_at",
        "signed_name",
        "summary",
        "latitude",
        "longitude",
        "position_accuracy_m",
    )
    inlines = [InspectionResultInline]

    def get_queryset(self, request):
        qs = inspections_for(request.user).annotate(n_hazards=Count("hazards"))
        return qs.select_related("apartment", "inspector")

    @admin.display(description=_("隐患数"), ordering="n_hazards")
    def hazard_count(self, obj: Inspection) -> int:
        return obj.n_hazards


class RectificationInline(RoleAdminMixin, admin.StackedInline):
    role_actions = {**INSPECTION_VIEWERS, Role.ENTERPRISE: VIEW}
    model = Rectification
    extra = 0
    fields = ("submitted_at", "submitted_by", "description", "verdict", "review_note", "reviewed_by", "reviewed_at")
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


class HazardEventInline(RoleAdminMixin, admin.TabularInline):
    role_actions = {**INSPECTION_VIEWERS, Role.ENTERPRISE: VIEW}
    model = HazardEvent
    extra = 0
    fields = ("at", "action", "actor", "note")
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


class OverdueFilter(admin.SimpleListFilter):
    title = _("是否逾期")
    parameter_name = "overdue"

    def lookups(self, request, model_admin):
        return [("yes", _("已逾期")), ("escalated", _("已上报街道"))]

    def queryset(self, request, queryset):
        from apartments.hazards import escalated_hazards, overdue_hazards

        if self.value() == "yes":
            return overdue_hazards(qs=queryset)
        if self.value() == "escalated":
            return escalated_hazards(queryset)
        return queryset


@admin.register(Hazard)
class HazardAdmin(ScopedAdmin):
    role_actions = {**INSPECTION_VIEWERS, Role.ENTERPRISE: VIEW}
    list_display = (
        "title",
        "apartment",
        "severity",
        "status",
        "deadline",
        "overdue",
        "responsible_party",
        "source",
        "created_at",
    )
    list_filter = (OverdueFilter, "status", "severity", "kind", "source", "apartment__grid__community")
    search_fields = ("title", "description", "apartment__name", "apartment__code", "source_ref")
    date_hierarchy = "created_at"
    list_select_related = ("apartment", "responsible_company", "responsible_enterprise")
    readonly_fields = (
        "apartment",
        "kind",
        "title",
        "description",
        "severity",
        "status",
        "source",
        "source_ref",
        "inspection",
        "result",
        "responsible_company",
        "responsible_enterprise",
        "deadline",
        "created_by",
        "created_at",
        "times_returned",
        "escalated_at",
        "closed_at",
        "closed_by",
    )
    inlines = [RectificationInline, HazardEventInline]

    def get_queryset(self, request):
        return hazards_for(request.user).select_related("apartment", "responsible_company", "responsible_enterprise")

    @admin.display(description=_("逾期"), boolean=True)
    def overdue(self, obj: Hazard) -> bool:
        return obj.is_overdue()

    @admin.display(description=_("责任方"))
    def responsible_party(self, obj: Hazard) -> str:
        return obj.responsible_party
