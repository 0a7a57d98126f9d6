"""Where a signed-in resident lives now (their active tenancy), as the service modules need it."""

from __future__ import annotations

from accounts.models import User
from apartments.models import Apartment
from residents.models import Resident, Tenancy


def resident_of(user: User) -> Resident | None:
    if not user.is_authenticated:
        return None
    return Resident.objects.filter(user=user).first()


def current_tenancy(user: User) -> Tenancy | None:
    if not user.is_authenticated:
        return None
    return Tenancy.objects.active().filter(resident__user=user).select_related("room__apartment").first()


def home_apartment(user: User) -> Apartment | None:
    tenancy = current_tenancy(user)
    return tenancy.room.apartment if tenancy else None


def display_name_of(user: User) -> str:
    resident = resident_of(user)
    return (resident.name if resident else "") or user.display_name
