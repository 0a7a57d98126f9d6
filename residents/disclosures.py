""" "Who looked at my data": the audit log entries about one resident, as the resident may read them.

Every clear read of a resident's data (``pii.read``: the API and the admin), and the acts done to their data by
someone else (a face enrolled by staff, consent withdrawn, the record anonymised), shown with when, who
(name, role, organisation), which fields and why. The IP address stays in the log for the data-protection
officer; the resident sees the organisation that answers for the read.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from accounts.models import AuditEntry, ReadPurpose, Role
from residents.models import Resident

ACTIONS = {
    "pii.read": _("查看完整个人信息"),
    "face.enrolled_by_staff": _("物业代录人脸"),
    "face.consent_withdrawn": _("撤回人脸识别同意"),
    "face.door_granted": _("授权刷脸进入公寓 (工作人员)"),
    "face.door_grant_revoked": _("撤销刷脸授权"),
    "resident.anonymised": _("个人信息已删除 (匿名化)"),
}
FIELD_NAMES = {
    "id_number": _("身份证号"),
    "phone": _("手机号"),
    "emergency_contact_name": _("紧急联系人"),
    "emergency_contact_phone": _("紧急联系人电话"),
    "birth_date": _("出生日期"),
}


def _organisation(user) -> str:
    if user is None:
        return str(_("系统"))
    if user.role == Role.PROPERTY_MANAGER:
        return "、".join(c.name for c in user.property_companies.all())
    if user.role == Role.GRID_WORKER:
        return "、".join(str(g) for g in user.grids.all())
    if user.role == Role.INSPECTOR:
        return user.get_department_display()
    if user.role == Role.STREET_ADMIN:
        return str(_("街道"))
    return ""


def data_access_log(resident: Resident, *, limit: int = 200) -> list[dict]:
    """The newest ``limit`` audit entries about ``resident`` that the resident may read (their own acts too)."""
    entries = (
        AuditEntry.objects.filter(target_type=Resident._meta.label, target_id=str(resident.pk), action__in=ACTIONS)
        .select_related("actor")
        .prefetch_related("actor__property_companies", "actor__grids")
        .order_by("-at")[:limit]
    )
    purposes = dict(ReadPurpose.choices)
    rows = []
    for entry in entries:
        actor = entry.actor
        rows.append(
            {
                "at": entry.at,
                "action": entry.action,
                "action_display": str(ACTIONS[entry.action]),
                "fields": [str(FIELD_NAMES.get(f, f)) for f in entry.fields.split(",") if f],
                "purpose": entry.purpose,
                "purpose_display": str(purposes.get(entry.purpose, "")),
                "reason": entry.reason,
                "by_name": (actor.display_name or actor.username) if actor else str(_("系统")),
                "by_role": actor.role if actor else "",
                "by_role_display": actor.get_role_display() if actor else "",
                "by_organisation": _organisation(actor),
            }
        )
    return rows
