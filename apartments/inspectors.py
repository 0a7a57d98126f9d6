"""Who inspects what: the street sees every kind, grid workers walk the daily patrol, each department its kinds.

Shared by inspections and hazards (a hazard is followed up by those who may inspect its kind).
"""

from __future__ import annotations

from accounts.models import Department, Role, User
from apartments.models import InspectionKind

# Which department does which kind; the daily patrol is the grid workers' own.
KIND_DEPARTMENT: dict[str, str] = {
    InspectionKind.FIRE: Department.FIRE,
    InspectionKind.POLICE: Department.POLICE,
    InspectionKind.RENTAL: Department.POLICE,
    InspectionKind.HEALTH: Department.HEALTH,
    InspectionKind.GARBAGE: Department.URBAN,
    InspectionKind.MARKET: Department.MARKET,
}
GRID_WORKER_KINDS = (InspectionKind.PATROL,)


def is_street(user: User) -> bool:
    return user.is_authenticated and user.is_active and (user.is_superuser or user.role == Role.STREET_ADMIN)


def kinds_for(user: User) -> list[str]:
    """The inspection kinds ``user`` may carry out."""
    if not user.is_authenticated or not user.is_active:
        return []
    if is_street(user):
        return list(InspectionKind.values)
    if user.role == Role.GRID_WORKER:
        return list(GRID_WORKER_KINDS)
    if user.role == Role.INSPECTOR and user.department:
        return [kind for kind, dept in KIND_DEPARTMENT.items() if dept == user.department]
    return []
