from __future__ import annotations

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from accounts.models import Role
from accounts.permissions import RoleAdminMixin
from apartments.scoping import ALL, VIEW, ScopedAdmin
from sensors.devices import device_issue_token
from sensors.models import Device, DeviceCommand, DeviceType, LatestValue, Metric, Rejection

STAFF_VIEW = {
    Role.STREET_ADMIN: VIEW,
    Role.PROPERTY_MANAGER: VIEW,
    Role.STATION_OPERATOR: VIEW,
    Role.GRID_WORKER: VIEW,
    Role.FIRE_SAFETY_PERSON: VIEW,
}


class MetricInline(admin.TabularInline):
    model = Metric
    extra = 0


@admin.register(DeviceType)
class DeviceTypeAdmin(RoleAdminMixin, admin.ModelAdmin):
    role_actions = {Role.STREET_ADMIN: ALL, Role.PROPERTY_MANAGER: VIEW, Role.STATION_OPERATOR: VIEW}
    list_display = ("code", "name")
    inlines = [MetricInline]


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


class LatestValueInline(ReadOnlyInline):
    model = LatestValue
    fields = readonly_fields = ("metric", "value", "ts")
    verbose_name_plural = _("最新读数")


class RejectionInline(ReadOnlyInline):
    model = Rejection
    fields = readonly_fields = ("reason", "count", "last_at", "last_detail", "last_sample")
    verbose_name_plural = _("拒收记录 (按原因计数)")


class CommandInline(ReadOnlyInline):
    model = DeviceCommand
    fields = readonly_fields = ("action", "status", "reason", "requested_by", "requested_at", "result_message")
    verbose_name_plural = _("下发指令")


@admin.register(Device)
class DeviceAdmin(ScopedAdmin):
    role_actions = {
        Role.STREET_ADMIN: ALL,
        Role.PROPERTY_MANAGER: ALL,
        Role.STATION_OPERATOR: VIEW,
        Role.GRID_WORKER: VIEW,
        Role.FIRE_SAFETY_PERSON: VIEW,
    }
    list_display = (
        "key",
        "device_type",
        "apartment",
        "floor",
        "location",
        "protocol",
        "is_online",
        "last_seen_at",
        "is_enabled",
        "rejected",
    )
    list_filter = ("device_type", "is_online", "is_enabled", "protocol", "apartment__grid__community")
    search_fields = ("key", "apartment__name", "apartment__code", "location")
    list_select_related = ("device_type", "apartment")
    raw_id_fields = ("apartment", "room")
    readonly_fields = ("is_online", "last_seen_at", "created_at")
    inlines = [LatestValueInline, RejectionInline, CommandInline]
    actions = ["issue_tokens"]

    @admin.display(description=_("拒收次数"))
    def rejected(self, device: Device) -> int:
        return sum(r.count for r in device.rejections.all())

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("rejections")

    @admin.action(description=_("重新生成接入令牌 (旧令牌立即失效)"))
    def issue_tokens(self, request, queryset) -> None:
        if not self.has_change_permission(request):
            self.message_user(request, _("您的角色无权执行此操作"), messages.ERROR)
            return
        for device in queryset[:50]:
            token = device_issue_token(device=device, actor=request.user)
            self.message_user(request, f"{device.key}: {token}", messages.WARNING)


@admin.register(Rejection)
class RejectionAdmin(ScopedAdmin):
    """What devices sent that was refused, counted per device and reason (unknown senders: street staff)."""

    apartment_path = "device__apartment"
    role_actions = STAFF_VIEW
    list_display = ("source", "device", "reason", "count", "last_at", "last_detail")
    list_filter = ("reason",)
    search_fields = ("source", "last_detail")
    list_select_related = ("device",)
    readonly_fields = ("source", "device", "reason", "count", "first_at", "last_at", "last_detail", "last_sample")


@admin.register(DeviceCommand)
class DeviceCommandAdmin(ScopedAdmin):
    apartment_path = "device__apartment"
    role_actions = STAFF_VIEW
    list_display = ("device", "action", "status", "reason", "requested_by", "requested_at", "result_message")
    list_filter = ("status", "action")
    search_fields = ("device__key", "reason")
    list_select_related = ("device", "requested_by")
    readonly_fields = (
        "device",
        "action",
        "params",
        "reason",
        "requested_by",
        "requested_at",
        "deadline",
        "status",
        "answered_at",
        "result_message",
    )
