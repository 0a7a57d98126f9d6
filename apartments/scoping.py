"""Who sees what: the one place where roles become querysets.

Every view, API and admin page narrows its rows with ``scope_queryset``; a new
model only says how it reaches an apartment (``apartment_path``) and, for rows
a resident owns, how it reaches the resident's user (``owner_path``).
"""

from __future__ import annotations

from django.contrib import admin
from django.db.models import Model, Q, QuerySet

from accounts.models import Role, User
from accounts.permissions import ALL_ACTIONS, VIEW_ONLY, RoleAdminMixin
from apartments.models import Apartment


def apartments_for(user: User) -> QuerySet[Apartment]:
    """The apartment blocks ``user`` may see, by role."""
    apartments = Apartment.objects.all()
    if not user.is_authenticated or not user.is_active:
        return apartments.none()
    if user.sees_whole_district:
        return apartments
    role = user.role
    if role == Role.STATION_OPERATOR:
        return apartments.filter(micro_fire_station__operators=user)
    if role == Role.GRID_WORKER:
        return apartments.filter(grid__workers=user)
    if role == Role.PROPERTY_MANAGER:
        return apartments.filter(property_company__managers=user)
    if role == Role.FIRE_SAFETY_PERSON:
        return apartments.filter(fire_safety_person=user)
    return apartments.none()


def scope_queryset(
    queryset: QuerySet, user: User, *, apartment_path: str | None = "apartment", owner_path: str | None = None
) -> QuerySet:
    """Narrow ``queryset`` to the rows ``user`` may see.

    ``apartment_path`` is the lookup from the model to its Apartment ("" for Apartment
    itself, None when rows belong to no block); ``owner_path`` the lookup to the User
    who owns a row (a resident sees only rows they own).
    """
    if not user.is_authenticated or not user.is_active:
        return queryset.none()
    if user.sees_whole_district:
        return queryset
    condition = Q(pk__in=[])
    if user.role == Role.RESIDENT:
        if owner_path is None:
            return queryset.none()
        return queryset.filter(**{owner_path: user})
    if apartment_path is not None:
        lookup = f"{apartment_path}__in" if apartment_path else "pk__in"
        condition = Q(**{lookup: apartments_for(user).values("pk")})
    if owner_path is not None:
        condition |= Q(**{owner_path: user})
    return queryset.filter(condition)


def can_see(user: User, obj: Model, *, apartment_path: str | None = "apartment", owner_path: str | None = None) -> bool:
    qs = type(obj)._default_manager.filter(pk=obj.pk)
    return scope_queryset(qs, user, apartment_path=apartment_path, owner_path=owner_path).exists()


class ScopedAdmin(RoleAdminMixin, admin.ModelAdmin):
    """Admin page whose rows follow the user's role (see RoleAdminMixin for the actions)."""

    apartment_path: str | None = "apartment"
    owner_path: str | None = None

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        return scope_queryset(qs, request.user, apartment_path=self.apartment_path, owner_path=self.owner_path)


ALL = ALL_ACTIONS
VIEW = VIEW_ONLY
