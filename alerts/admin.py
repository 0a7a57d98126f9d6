from __future__ import annotations

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from accounts.models import Role
from alerts.models import (
    Alert,
    AlertEvent,
    AlertRule,
    Camera,
    Channel,
    Command,
    CommandDeviceAction,
    CommandEvent,
    CommandParticipant,
    Contact,
    DeliveryAttempt,
    EscalationStep,
    Notification,
    PlanDeviceAction,
    PlanParticipant,
    ResponsePlan,
    RuleCondition,
)
from apartments.scoping import ALL, VIEW, ScopedAdmin

STREET = {Role.STREET_ADMIN: ALL}
STREET_AND_VIEWERS = {Role.STREET_ADMIN: ALL, Role.STATION_OPERATOR: VIEW, Role.INSPECTOR: VIEW}
ALARM_VIEWERS = {
    Role.STREET_ADMIN: VIEW,
    Role.STATION_OPERATOR: VIEW,
    Role.INSPECTOR: VIEW,
    Role.GRID_WORKER: VIEW,
    Role.FIRE_SAFETY_PERSON: VIEW,
    Role.PROPERTY_MANAGER: VIEW,
}


class ChannelsField(forms.MultipleChoiceField):
    def __init__(self, **kwargs) -> None:
        super().__init__(choices=Channel.choices, widget=forms.CheckboxSelectMultiple, **kwargs)


class ConditionFormSet(forms.BaseInlineFormSet):
    def _construct_form(self, i, **kwargs):
        form = super()._construct_form(i, **kwargs)
        form.instance.rule = self.instance  # validate against the rule's (possibly new) device type
        return form


class ConditionInline(admin.TabularInline):
    model = RuleCondition
    formset = ConditionFormSet
    extra = 1
    min_num = 0


@admin.register(AlertRule)
class AlertRuleAdmin(ScopedAdmin):
    apartment_path = None
    role_actions = STREET_AND_VIEWERS
    inlines = [ConditionInline]
    list_display = ("name", "code", "device_type", "apartment", "device", "severity", "duration_seconds", "is_enabled")
    list_filter = ("device_type", "severity", "is_enabled")
    search_fields = ("name", "code")
    autocomplete_fields = ()
    raw_id_fields = ("apartment", "device")


class AlertEventInline(admin.TabularInline):
    model = AlertEvent
    extra = 0
    can_delete = False
    fields = ("at", "kind", "actor", "end", "note", "photo")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Alert)
class AlertAdmin(ScopedAdmin):
    role_actions = ALARM_VIEWERS
    inlines = [AlertEventInline]
    list_display = ("title", "apartment", "device", "severity", "status", "raised_at", "trigger_count",
                    "acknowledged_by", "acknowledged_via", "disposition")  # fmt: skip
    list_filter = ("severity", "status", "disposition")
    search_fields = ("title", "apartment__name", "device__key")
    date_hierarchy = "raised_at"

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in Alert._meta.fields]


@admin.register(EscalationStep)
class EscalationStepAdmin(ScopedAdmin):
    apartment_path = None
    role_actions = STREET_AND_VIEWERS
    list_display = ("severity", "delay_seconds", "target", "contact_group", "channels", "is_enabled")
    list_filter = ("severity",)

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name == "channels":
            return ChannelsField(label=_("渠道"))
        return super().formfield_for_dbfield(db_field, request, **kwargs)


@admin.register(Contact)
class ContactAdmin(ScopedAdmin):
    apartment_path = None
    role_actions = STREET
    list_display = ("name", "group", "user", "phone_masked", "email", "dingtalk_userid", "is_active")
    list_filter = ("group", "is_active")
    search_fields = ("name", "group")
    raw_id_fields = ("user",)


@admin.register(Camera)
class CameraAdmin(ScopedAdmin):
    role_actions = STREET_AND_VIEWERS
    list_display = ("name", "apartment", "floor", "protocol", "stream_url", "is_active")
    list_filter = ("protocol", "is_active")
    search_fields = ("name", "apartment__name", "gb28181_id")


class ParticipantInline(admin.TabularInline):
    model = PlanParticipant
    extra = 1


class DeviceActionInline(admin.TabularInline):
    model = PlanDeviceAction
    extra = 0


class PlanForm(forms.ModelForm):
    channels = ChannelsField(label=_("渠道"))

    class Meta:
        model = ResponsePlan
        fields = ["name", "category", "description", "channels", "message", "is_active"]


@admin.register(ResponsePlan)
class ResponsePlanAdmin(ScopedAdmin):
    apartment_path = None
    role_actions = STREET_AND_VIEWERS
    form = PlanForm
    inlines = [ParticipantInline, DeviceActionInline]
    list_display = ("name", "category", "channels", "is_active")
    list_filter = ("category", "is_active")


class CommandParticipantInline(admin.TabularInline):
    model = CommandParticipant
    extra = 0
    can_delete = False
    readonly_fields = ("name", "role", "status", "reached_at", "confirmed_at", "arrived_at")
    fields = readonly_fields


class CommandEventInline(admin.TabularInline):
    model = CommandEvent
    extra = 0
    can_delete = False
    readonly_fields = ("at", "kind", "text", "actor")
    fields = readonly_fields


class CommandDeviceActionInline(admin.TabularInline):
    model = CommandDeviceAction
    extra = 0
    can_delete = False
    readonly_fields = ("device", "action", "when", "status", "device_command_id", "message")
    fields = readonly_fields


@admin.register(Command)
class CommandAdmin(ScopedAdmin):
    role_actions = {Role.STREET_ADMIN: VIEW, Role.STATION_OPERATOR: VIEW, Role.INSPECTOR: VIEW}
    inlines = [CommandParticipantInline, CommandEventInline, CommandDeviceActionInline]
    list_display = ("plan", "what", "apartment", "started_by", "started_at", "status")
    list_filter = ("status", "plan__category")

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in Command._meta.fields]


class AttemptInline(admin.TabularInline):
    model = DeliveryAttempt
    extra = 0
    can_delete = False
    readonly_fields = ("number", "at", "ok", "code", "message", "provider_ref")
    fields = readonly_fields


@admin.register(Notification)
class NotificationAdmin(ScopedAdmin):
    apartment_path = "alert__apartment"
    role_actions = {Role.STREET_ADMIN: VIEW, Role.STATION_OPERATOR: VIEW}
    inlines = [AttemptInline]
    list_display = ("created_at", "channel", "recipient_name", "status", "attempts", "alert", "command", "last_error")
    list_filter = ("channel", "status")

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in Notification._meta.fields]
