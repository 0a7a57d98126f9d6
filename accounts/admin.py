from __future__ import annotations

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from accounts.models import AuditEntry, Role, User
from accounts.permissions import ALL_ACTIONS, VIEW_ONLY, RoleAdminMixin


@admin.register(User)
class UserAdmin(RoleAdminMixin, BaseUserAdmin):
    role_actions = {Role.STREET_ADMIN: ALL_ACTIONS}
    list_display = ("username", "display_name", "role", "department", "phone_masked", "is_active", "last_login")
    list_filter = ("role", "department", "is_active", "is_staff")
    search_fields = ("username", "display_name")
    fieldsets = (
        *BaseUserAdmin.fieldsets,
        (_("角色"), {"fields": ("role", "department", "display_name", "phone")}),
    )
    add_fieldsets = (
        *BaseUserAdmin.add_fieldsets,
        (_("角色"), {"fields": ("role", "department", "display_name", "phone")}),
    )

    @admin.display(description=_("手机号"))
    def phone_masked(self, obj: User) -> str:
        return obj.phone_masked


@admin.register(AuditEntry)
class AuditEntryAdmin(RoleAdminMixin, admin.ModelAdmin):
    role_actions = {Role.STREET_ADMIN: VIEW_ONLY}
    list_display = ("at", "actor", "action", "target_type", "target_id", "fields", "reason", "ip")
    list_filter = ("action", "target_type")
    search_fields = ("target_id", "actor__username", "reason")
    date_hierarchy = "at"

    # The audit log is append-only, even for superusers.
    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
