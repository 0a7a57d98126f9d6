"""Who a target is for one block: people with their reachable addresses, keyed so a retry finds them again."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings

from accounts.models import User
from alerts.models import Contact, Target
from apartments.models import Apartment, MicroFireStation


@dataclass(frozen=True)
class Recipient:
    key: str  # "user:5", "contact:3", "station:2", "wecom:default", "webhook:0"
    name: str
    role: str = ""
    phone: str = ""
    email: str = ""
    dingtalk_userid: str = ""
    user_id: int | None = None
    url: str = ""


def _from_user(user: User, role: str) -> Recipient:
    contact = Contact.objects.filter(user=user, is_active=True).first()
    return Recipient(
        key=f"user:{user.pk}",
        name=str(user),
        role=role,
        phone=(contact.phone if contact and contact.phone else user.phone) or "",
        email=(contact.email if contact and contact.email else user.email) or "",
        dingtalk_userid=contact.dingtalk_userid if contact else "",
        user_id=user.pk,
    )


def _from_contact(contact: Contact) -> Recipient:
    if contact.user_id:
        base = _from_user(contact.user, contact.group)
        return Recipient(**{**base.__dict__, "name": contact.name or base.name})
    return Recipient(
        key=f"contact:{contact.pk}",
        name=contact.name,
        role=contact.group,
        phone=contact.phone,
        email=contact.email,
        dingtalk_userid=contact.dingtalk_userid,
    )


def _station(station: MicroFireStation) -> Recipient:
    return Recipient(key=f"station:{station.pk}", name=station.name, role=str(Target.STATION_DUTY_PHONE.label),
                     phone=station.duty_phone)  # fmt: skip


def recipients_for(target: str, apartment: Apartment, contact_group: str = "") -> list[Recipient]:
    """The people a step or plan reaches for ``apartment``."""
    label = str(Target(target).label) if target in Target.values else target
    active = {"is_active": True}
    if target == Target.FIRE_SAFETY_PERSON:
        person = apartment.fire_safety_person
        return [_from_user(person, label)] if person and person.is_active else []
    if target == Target.STATION_OPERATORS:
        station = apartment.micro_fire_station
        return [_from_user(u, label) for u in station.operators.filter(**active)] if station else []
    if target == Target.STATION_DUTY_PHONE:
        station = apartment.micro_fire_station
        return [_station(station)] if station and station.duty_phone else []
    if target == Target.GRID_WORKERS:
        return [_from_user(u, label) for u in apartment.grid.workers.filter(**active)]
    if target == Target.PROPERTY_MANAGERS:
        return [_from_user(u, label) for u in apartment.property_company.managers.filter(**active)]
    if target == Target.CONTACT_GROUP:
        return [_from_contact(c) for c in Contact.objects.filter(group=contact_group, is_active=True)]
    if target == Target.WECOM_GROUP:
        return [Recipient(key="wecom:default", name=label, role=label)] if settings.WECOM_ROBOT_KEY else []
    if target == Target.WEBHOOKS:
        return [
            Recipient(key=f"webhook:{i}", name=url.split("/")[2] if "//" in url else url, role=label, url=url)
            for i, url in enumerate(settings.ALERTS_WEBHOOK_URLS)
        ]
    return []


def recipient_by_key(key: str) -> Recipient | None:
    """Find a recipient again at send time (addresses are never copied into notification rows)."""
    kind, _, ident = key.partition(":")
    if kind == "user":
        user = User.objects.filter(pk=ident).first()
        return _from_user(user, "") if user else None
    if kind == "contact":
        contact = Contact.objects.filter(pk=ident).first()
        return _from_contact(contact) if contact else None
    if kind == "station":
        station = MicroFireStation.objects.filter(pk=ident).first()
        return _station(station) if station else None
    if kind == "wecom":
        return Recipient(key=key, name=str(Target.WECOM_GROUP.label))
    if kind == "webhook":
        urls = settings.ALERTS_WEBHOOK_URLS
        index = int(ident) if ident.isdigit() else -1
        return Recipient(key=key, name="webhook", url=urls[index]) if 0 <= index < len(urls) else None
    return None
