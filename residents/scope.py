"""Which residents a staff member may see: those living NOW in a block they answer for.

Scope follows the active tenancy only (PIPL Art. 6, least privilege): the day a person checks out, the block's
staff stop seeing them; a past tenancy, a check-in elsewhere or a record nobody lives under gives nothing.
The street and the inspectors see the whole district (as ``apartments.scoping`` says); a resident sees only
what they own.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet

from accounts.models import Role, User
from apartments.scoping import apartments_for
from residents.models import Tenancy


def housed_resident_ids(user: User):
    """A subquery of the ids of the residents with an active tenancy in a block ``user`` answers for."""
    return Tenancy.objects.active().filter(room__apartment__in=apartments_for(user).values("pk")).values("resident_id")


def scope_residents(
    queryset: QuerySet, user: User, *, resident_path: str = "", owner_path: str | None = None
) -> QuerySet:
    """Narrow ``queryset`` (rows reaching a Resident through ``resident_path``, "" for Resident itself) to the
    rows of residents ``user`` may see now; ``owner_path`` leads to the User owning a row (residents)."""
    if not user.is_authenticated or not user.is_active:
        return queryset.none()
    if user.sees_whole_district:
        return queryset
    if user.role == Role.RESIDENT:
        return queryset.filter(**{owner_path: user}) if owner_path else queryset.none()
    lookup = f"{resident_path}__in" if resident_path else "pk__in"
    condition = Q(**{lookup: housed_resident_ids(user)})
    if owner_path:
        condition |= Q(**{owner_path: user})
    return queryset.filter(condition)
