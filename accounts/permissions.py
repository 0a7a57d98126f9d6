"""DRF permissions by role. Which rows a role sees is decided in apartments.scoping."""

from __future__ import annotations

from rest_framework.permissions import BasePermission

from accounts.models import Role

STAFF_ROLES = frozenset(set(Role.values) - {Role.RESIDENT})


def roles_allowed(*roles: str) -> type[BasePermission]:
    """A permission class that lets in authenticated users having one of ``roles`` (superusers always)."""
    allowed = frozenset(roles)

    class HasRole(BasePermission):
        message = "您的角色无权执行此操作"

        def has_permission(self, request, view) -> bool:
            user = request.user
            return bool(user and user.is_authenticated and (user.is_superuser or user.role in allowed))

    HasRole.__name__ = "HasRole_" + "_".join(sorted(allowed))
    return HasRole


# Staff who answer for places (blocks, devices, residents); enterprises only manage their own postings.
PLACE_ROLES = frozenset(STAFF_ROLES - {Role.ENTERPRISE})

IsStaffRole = roles_allowed(*STAFF_ROLES)
IsPlaceStaff = roles_allowed(*PLACE_ROLES)
IsResident = roles_allowed(Role.RESIDENT)


ALL_ACTIONS = frozenset({"view", "add", "change", "delete"})
VIEW_ONLY = frozenset({"view"})


class RoleAdminMixin:
    """Admin actions by role: ``role_actions`` maps a role to what it may do on this model.

    Superusers may do everything; a role not listed may do nothing.
    """

    role_actions: dict[str, frozenset[str] | set[str]] = {}

    def _may(self, request, action: str) -> bool:
        user = request.user
        if not (user.is_authenticated and user.is_active):
            return False
        if user.is_superuser:
            return True
        return action in self.role_actions.get(user.role, ())

    def has_module_permission(self, request) -> bool:
        return self._may(request, "view") or self._may(request, "change")

    def has_view_permission(self, request, obj=None) -> bool:
        return self._may(request, "view") or self._may(request, "change")

    def has_add_permission(self, request, obj=None) -> bool:
        return self._may(request, "add")

    def has_change_permission(self, request, obj=None) -> bool:
        return self._may(request, "change")

    def has_delete_permission(self, request, obj=None) -> bool:
        return self._may(request, "delete")
