"""Who may call what: every API endpoint and every admin page × every role × own / other's objects.

The rules below are the specification; the tests walk the URL conf, so an endpoint or admin page that has
no rule here fails the build. Each call runs in a savepoint that is rolled back, so one role's POST never
changes what the next role sees.

Reading a rule: ``"v1:residents:resident-detail": R(GET=PII_STAFF, obj="resident")`` means "GET is let in
for the roles in PII_STAFF and refused (401/403/404) for everyone else; for a role let in, its own object
(the one in the block it answers for, or the one it owns) is found and the other one is not — unless the
role sees the whole district, or the object kind is public".
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta

import pytest
from django.contrib import admin
from django.core.cache import cache
from django.db import transaction
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.factories import UserFactory
from accounts.models import Department, Role

# --- roles ------------------------------------------------------------------------------------------------
# People (the eight roles and a superuser), nobody, and devices holding their own token.
ANON = "anonymous"
STREET, STATION, GRID, INSPECTOR = "street_admin", "station_operator", "grid_worker", "inspector"
MANAGER, ENTERPRISE, FIRE_SAFETY, RESIDENT = "property_manager", "enterprise", "fire_safety_person", "resident"
SUPER = "superuser"
POLICE = "police_inspector"  # an inspector of the police station (the fire inspector is INSPECTOR)
DOOR, ELEVATOR, SENSOR = "door_device", "elevator_device", "sensor_device"

DEVICES = frozenset({DOOR, ELEVATOR, SENSOR})
PEOPLE = frozenset({STREET, STATION, GRID, INSPECTOR, POLICE, MANAGER, ENTERPRISE, FIRE_SAFETY, RESIDENT, SUPER})
EVERYONE = PEOPLE | DEVICES | {ANON}
USERS = PEOPLE
STAFF = PEOPLE - {RESIDENT}
PLACE_STAFF = STAFF - {ENTERPRISE}  # staff who answer for blocks
RESIDENTS = frozenset({RESIDENT, SUPER})
SELF = frozenset({RESIDENT})  # the resident's own record: a superuser has none
PII_STAFF = frozenset({STREET, GRID, INSPECTOR, POLICE, MANAGER, SUPER})  # see residents (masked)
PII_FULL = frozenset({STREET, POLICE, MANAGER, SUPER})  # may read a full ID number (audited)
TENANCY_USERS = PII_STAFF | {RESIDENT}
ESTATE = frozenset({STREET, MANAGER, SUPER})  # register residents, tenancies, devices, cards, faces, rentals
REVIEWERS = frozenset({STREET, MANAGER, POLICE, SUPER})  # review residence registrations
PERMIT_REVIEWERS = frozenset({STREET, POLICE, SUPER})
COMMAND = frozenset({STREET, STATION, SUPER})  # start and end a one-click command
ALARM_ACTORS = frozenset({STREET, STATION, GRID, MANAGER, FIRE_SAFETY, SUPER})  # acknowledge, handle, close
STREET_ONLY = frozenset({STREET, SUPER})
ENTERPRISES = frozenset({ENTERPRISE, STREET, SUPER})
COCKPIT = frozenset({STREET, STATION, SUPER})
COMMANDERS = frozenset({STREET, STATION, MANAGER, FIRE_SAFETY, SUPER})  # send device commands
FEEDBACK_STAFF = frozenset({STREET, GRID, INSPECTOR, POLICE, MANAGER, SUPER})
FEEDBACK_ANSWERERS = FEEDBACK_STAFF - {GRID}  # grid workers follow their blocks' threads, others answer
WHOLE_DISTRICT = frozenset({STREET, INSPECTOR, POLICE, SUPER})
NOBODY: frozenset[str] = frozenset()


@dataclass(frozen=True)
class R:
    """The roles let in per HTTP method, and the kind of object a detail URL points at."""

    GET: frozenset[str] | None = None
    POST: frozenset[str] | None = None
    PUT: frozenset[str] | None = None
    PATCH: frozenset[str] | None = None
    DELETE: frozenset[str] | None = None
    obj: str | None = None

    def methods(self) -> dict[str, frozenset[str]]:
        out = {m: getattr(self, m) for m in ("GET", "POST", "PUT", "PATCH", "DELETE")}
        return {m: roles for m, roles in out.items() if roles is not None}


API_RULES: dict[str, R] = {
    # accounts: logging in is open to all; the rest needs a session
    "v1:accounts:login-wechat": R(POST=EVERYONE),
    "v1:accounts:sms-code": R(POST=EVERYONE),
    "v1:accounts:login-sms": R(POST=EVERYONE),
    "v1:accounts:login-password": R(POST=EVERYONE),
    "v1:accounts:token-refresh": R(POST=EVERYONE),
    "v1:accounts:logout": R(POST=NOBODY),  # ends a bearer-token session; browsers log out at /admin/logout/
    "v1:accounts:me": R(GET=USERS),
    "v1:accounts:phone-bind": R(POST=SELF),
    # apartments and inspections
    "v1:apartments:apartment-list": R(GET=PLACE_STAFF),
    "v1:apartments:apartment-detail": R(GET=PLACE_STAFF, obj="apartment"),
    "v1:apartments:inspection-coverage": R(GET=STAFF),
    "v1:apartments:inspection-template-list": R(GET=STAFF),
    "v1:apartments:inspection-template-detail": R(GET=STAFF, obj="template"),
    "v1:apartments:inspection-list": R(GET=STAFF, POST=STAFF),
    "v1:apartments:inspection-detail": R(GET=STAFF, obj="inspection"),
    "v1:apartments:inspection-answers": R(POST=STAFF, obj="inspection"),
    "v1:apartments:inspection-photos": R(POST=STAFF, obj="inspection"),
    "v1:apartments:inspection-sign": R(POST=frozenset({GRID, POLICE}), obj="inspection"),  # only who inspected signs
    "v1:apartments:hazard-list": R(GET=STAFF),
    "v1:apartments:hazard-detail": R(GET=STAFF, obj="hazard"),
    "v1:apartments:hazard-rectify": R(POST=frozenset({ENTERPRISE, FIRE_SAFETY, STREET, SUPER}), obj="hazard"),
    "v1:apartments:hazard-review": R(POST=STAFF, obj="hazard"),
    # residents: the resident's own pages, devices at the door, staff with personal data
    "v1:residents:me": R(GET=SELF),
    "v1:residents:data-access": R(GET=SELF),
    # self-service: real name, scanning, tenancy requests (the block's staff decide), everyone's own notices
    "v1:residents:real-name": R(POST=RESIDENTS),
    "v1:residents:journey": R(GET=RESIDENTS),
    "v1:residents:scan": R(POST=RESIDENTS),
    "v1:residents:tenancy-request-list": R(GET=TENANCY_USERS, POST=SELF),
    "v1:residents:tenancy-request-detail": R(GET=TENANCY_USERS, obj="tenancy_request"),
    "v1:residents:tenancy-request-confirm": R(POST=ESTATE, obj="tenancy_request"),
    "v1:residents:tenancy-request-refuse": R(POST=ESTATE, obj="tenancy_request"),
    "v1:residents:tenancy-request-cancel": R(POST=SELF, obj="tenancy_request"),
    "v1:residents:notice-list": R(GET=USERS),
    "v1:residents:notice-detail": R(GET=USERS, obj="my_notice"),
    "v1:residents:notice-read": R(POST=USERS, obj="my_notice"),
    "v1:residents:face-withdrawal": R(POST=EVERYONE),
    "v1:residents:face": R(GET=SELF),
    # A superuser passes the role check of these POSTs and is then refused for the body or for having no record.
    "v1:residents:face-consent": R(POST=RESIDENTS, DELETE=SELF),
    "v1:residents:face-enrolment": R(POST=RESIDENTS),
    "v1:residents:door-qr": R(GET=SELF),
    "v1:residents:door-pin": R(POST=RESIDENTS),
    "v1:residents:permit-verify": R(GET=EVERYONE),
    "v1:residents:door-entry": R(POST=frozenset({DOOR})),
    "v1:residents:door-hikvision": R(POST=frozenset({DOOR})),
    "v1:residents:door-commands": R(GET=frozenset({DOOR})),
    "v1:residents:elevator-entry": R(POST=frozenset({ELEVATOR})),
    "v1:residents:gaps": R(GET=PII_STAFF),
    "v1:residents:resident-list": R(GET=PII_STAFF, POST=ESTATE),
    "v1:residents:resident-detail": R(GET=PII_STAFF, obj="resident"),
    "v1:residents:resident-cards": R(POST=ESTATE, obj="resident"),
    "v1:residents:resident-face": R(POST=ESTATE, obj="resident"),
    "v1:residents:resident-pii": R(GET=PII_FULL, obj="resident"),
    "v1:residents:tenancy-list": R(GET=TENANCY_USERS, POST=ESTATE),
    "v1:residents:tenancy-detail": R(GET=TENANCY_USERS, obj="tenancy"),
    "v1:residents:tenancy-check-out": R(POST=ESTATE, obj="tenancy"),
    "v1:residents:tenancy-move": R(POST=ESTATE, obj="tenancy"),
    "v1:residents:registration-list": R(GET=TENANCY_USERS, POST=ESTATE | SELF),
    "v1:residents:registration-overdue": R(GET=PII_STAFF),
    "v1:residents:registration-detail": R(GET=TENANCY_USERS, obj="registration"),
    "v1:residents:registration-confirm": R(POST=REVIEWERS, obj="registration"),
    "v1:residents:registration-confirm-deregistration": R(POST=REVIEWERS, obj="registration"),
    "v1:residents:registration-return-": R(POST=REVIEWERS, obj="registration"),
    "v1:residents:permit-list": R(GET=TENANCY_USERS, POST=SELF),
    "v1:residents:permit-eligibility": R(GET=SELF),
    "v1:residents:permit-detail": R(GET=TENANCY_USERS, obj="permit"),
    "v1:residents:permit-issue": R(POST=PERMIT_REVIEWERS, obj="permit"),
    "v1:residents:permit-qr": R(GET=TENANCY_USERS, obj="permit"),
    "v1:residents:permit-reject": R(POST=PERMIT_REVIEWERS, obj="permit"),
    "v1:residents:permit-revoke": R(POST=PERMIT_REVIEWERS, obj="permit"),
    "v1:residents:access-event-list": R(GET=PII_STAFF),
    "v1:residents:access-event-detail": R(GET=PII_STAFF, obj="access_event"),
    "v1:residents:access-event-let-in": R(POST=ESTATE, obj="access_event"),
    # sensors: devices send with their own token; staff of the block read, estate staff edit
    "v1:sensors:telemetry": R(POST=DEVICES),
    "api/v1/devices/telemetry/": R(POST=DEVICES),
    # ThingsBoard's path: the token is the path, so no header or session gets in with a wrong one (a right one:
    # sensors/tests/test_http.py)
    "v1:sensors:thingsboard-telemetry": R(POST=NOBODY),
    "v1:sensors:mqtt-auth": R(POST=NOBODY),  # only the broker, with MQTT_AUTH_SECRET
    "v1:sensors:mqtt-acl": R(POST=NOBODY),
    "v1:sensors:device-list": R(GET=PLACE_STAFF, POST=ESTATE),
    "v1:sensors:device-controls": R(GET=PLACE_STAFF),
    "v1:sensors:device-import-csv": R(POST=ESTATE),
    "v1:sensors:device-detail": R(GET=PLACE_STAFF, PUT=ESTATE, PATCH=ESTATE, DELETE=ESTATE, obj="device"),
    "v1:sensors:device-commands": R(GET=PLACE_STAFF, POST=COMMANDERS, obj="device"),
    "v1:sensors:device-readings": R(GET=PLACE_STAFF, obj="device"),
    "v1:sensors:device-token": R(POST=ESTATE, obj="device"),
    "v1:sensors:device-type-list": R(GET=PLACE_STAFF),
    "v1:sensors:device-type-detail": R(GET=PLACE_STAFF, obj="device_type"),
    "v1:sensors:device-rejection-list": R(GET=PLACE_STAFF),
    # alerts
    "v1:alerts:alarm-list": R(GET=STAFF),
    "v1:alerts:alarm-changes": R(GET=STAFF),
    "v1:alerts:alarm-detail": R(GET=STAFF, obj="alarm"),
    "v1:alerts:alarm-acknowledge": R(POST=ALARM_ACTORS, obj="alarm"),
    "v1:alerts:alarm-handle": R(POST=ALARM_ACTORS, obj="alarm"),
    "v1:alerts:alarm-close": R(POST=ALARM_ACTORS, obj="alarm"),
    "v1:alerts:camera-list": R(GET=STAFF),
    "v1:alerts:plan-list": R(GET=STAFF),
    "v1:alerts:command-start": R(GET=STAFF, POST=COMMAND),
    "v1:alerts:command-detail": R(GET=STAFF, obj="command"),
    # Only the people called by the command confirm and arrive: the block's fire-safety person here.
    "v1:alerts:command-confirm": R(POST=frozenset({FIRE_SAFETY}), obj="command"),
    "v1:alerts:command-arrive": R(POST=frozenset({FIRE_SAFETY}), obj="command"),
    "v1:alerts:command-note": R(POST=STAFF, obj="command"),
    "v1:alerts:command-close": R(POST=COMMAND, obj="command"),
    # services: public lists for everyone, "my" rows for their resident, managed rows for their staff
    "v1:services:job-list": R(GET=EVERYONE),
    "v1:services:job-detail": R(GET=EVERYONE, obj="published_job"),
    "v1:services:job-apply": R(POST=RESIDENTS, obj="published_job"),
    "v1:services:rental-list": R(GET=EVERYONE),
    "v1:services:rental-detail": R(GET=EVERYONE, obj="public_rental"),
    "v1:services:rental-save": R(POST=RESIDENTS, DELETE=RESIDENTS, obj="public_rental"),
    "v1:services:rental-viewings": R(POST=RESIDENTS, obj="public_rental"),
    "v1:services:clinic-list": R(GET=EVERYONE),
    "v1:services:clinic-detail": R(GET=EVERYONE, obj="clinic"),
    "v1:services:clinic-appointments": R(POST=RESIDENTS, obj="clinic"),
    "v1:services:guide-list": R(GET=EVERYONE),
    "v1:services:guide-detail": R(GET=EVERYONE, obj="article"),
    # Notices depend on who asks (their block), so a device's token is checked as a user's and refused.
    "v1:services:notice-list": R(GET=PEOPLE | {ANON}),
    # List-only viewsets: the router routes /<pk>/ too, which answers 404 to everyone.
    "v1:services:notice-detail": R(GET=NOBODY, obj="notice"),
    "v1:services:garbage-item-list": R(GET=EVERYONE),
    "v1:services:garbage-item-detail": R(GET=NOBODY, obj="garbage_item"),
    "v1:services:feedback-category-list": R(GET=EVERYONE),
    "v1:services:feedback-category-detail": R(GET=NOBODY, obj="feedback_category"),
    "v1:services:feedback-board-list": R(GET=EVERYONE),
    "v1:services:feedback-board-detail": R(GET=EVERYONE, obj="board_feedback"),
    "v1:services:my-application-list": R(GET=RESIDENTS),
    "v1:services:my-application-detail": R(GET=RESIDENTS, obj="my_application"),
    "v1:services:my-application-withdraw": R(POST=RESIDENTS, obj="my_application"),
    "v1:services:my-saved-rental-list": R(GET=RESIDENTS),
    "v1:services:my-viewing-list": R(GET=RESIDENTS),
    "v1:services:my-viewing-detail": R(GET=RESIDENTS, obj="my_viewing"),
    "v1:services:my-appointment-list": R(GET=RESIDENTS),
    "v1:services:my-appointment-detail": R(GET=RESIDENTS, obj="my_appointment"),
    "v1:services:my-appointment-cancel": R(POST=RESIDENTS, obj="my_appointment"),
    "v1:services:my-service-request-list": R(GET=RESIDENTS, POST=RESIDENTS),
    "v1:services:my-service-request-detail": R(GET=RESIDENTS, obj="my_service_request"),
    "v1:services:my-repair-list": R(GET=RESIDENTS, POST=RESIDENTS),
    "v1:services:my-repair-detail": R(GET=RESIDENTS, obj="my_repair"),
    "v1:services:my-repair-cancel": R(POST=RESIDENTS, obj="my_repair"),
    "v1:services:my-feedback-list": R(GET=RESIDENTS, POST=RESIDENTS),
    "v1:services:my-feedback-detail": R(GET=RESIDENTS, obj="my_feedback"),
    "v1:services:my-feedback-rate": R(POST=RESIDENTS, obj="my_feedback"),
    "v1:services:my-feedback-replies": R(POST=RESIDENTS, obj="my_feedback"),
    "v1:services:enterprise-job-list": R(GET=ENTERPRISES, POST=ENTERPRISES),
    "v1:services:enterprise-job-detail": R(GET=ENTERPRISES, PUT=ENTERPRISES, PATCH=ENTERPRISES, obj="own_job"),
    "v1:services:enterprise-job-close": R(POST=ENTERPRISES, obj="own_job"),
    "v1:services:enterprise-application-list": R(GET=ENTERPRISES),
    "v1:services:enterprise-application-detail": R(GET=ENTERPRISES, obj="application"),
    "v1:services:enterprise-application-contact": R(GET=ENTERPRISES, obj="application"),
    "v1:services:enterprise-application-status": R(POST=ENTERPRISES, obj="application"),
    "v1:services:job-review-list": R(GET=STREET_ONLY),
    "v1:services:job-review-detail": R(GET=STREET_ONLY, obj="pending_job"),
    "v1:services:job-review-decide": R(POST=STREET_ONLY, obj="pending_job"),
    "v1:services:managed-rental-list": R(GET=ESTATE, POST=ESTATE),
    "v1:services:managed-rental-detail": R(GET=ESTATE, PUT=ESTATE, PATCH=ESTATE, obj="rental"),
    "v1:services:managed-rental-photos": R(POST=ESTATE, obj="rental"),
    "v1:services:managed-viewing-list": R(GET=ESTATE),
    "v1:services:managed-viewing-detail": R(GET=ESTATE, obj="viewing"),
    "v1:services:managed-viewing-answer": R(POST=ESTATE, obj="viewing"),
    "v1:services:managed-repair-list": R(GET=ESTATE),
    "v1:services:managed-repair-detail": R(GET=ESTATE, obj="repair"),
    "v1:services:managed-repair-progress": R(POST=ESTATE, obj="repair"),
    "v1:services:managed-service-request-list": R(GET=STREET_ONLY),
    "v1:services:managed-service-request-detail": R(GET=STREET_ONLY, obj="service_request"),
    "v1:services:managed-service-request-handle": R(POST=STREET_ONLY, obj="service_request"),
    "v1:services:staff-feedback-list": R(GET=FEEDBACK_STAFF),
    "v1:services:staff-feedback-detail": R(GET=FEEDBACK_STAFF, obj="staff_feedback"),
    "v1:services:staff-feedback-close": R(POST=FEEDBACK_ANSWERERS, obj="staff_feedback"),
    "v1:services:staff-feedback-replies": R(POST=FEEDBACK_ANSWERERS, obj="staff_feedback"),
    # cockpit
    "v1:cockpit-overview": R(GET=COCKPIT),
    "v1:cockpit-block": R(GET=COCKPIT, obj="apartment"),
    "v1:cockpit-alarms": R(GET=COCKPIT),
    "v1:cockpit-alarm-timeline": R(GET=COCKPIT, obj="alarm"),
}

# Some POSTs validate their body before they look the object up; these bodies pass validation, so the
# "other's object" check really reaches the lookup.
BODIES: dict[str, dict | Callable[[World], dict]] = {
    "v1:alerts:alarm-handle": {"note": "已到场处置"},
    "v1:alerts:command-start": lambda w: {"plan": w.pair("command")[0].plan_id, "apartment": w.district.mine.pk},
    "v1:alerts:alarm-close": {"disposition": "false_alarm", "note": "误报"},
    "v1:residents:registration-return-": {"reason": "材料不全"},
    "v1:residents:tenancy-move": lambda w: {"room": w.district.mine.rooms.first().pk, "bed": "2"},
    "v1:services:enterprise-application-status": {"status": "invited"},
    "v1:services:managed-service-request-handle": {"status": "accepted", "reply": "好的"},
    "v1:services:managed-repair-progress": {"status": "accepted", "reply": "好的"},
    "v1:services:managed-viewing-answer": {"status": "confirmed", "reply": "好的"},
    "v1:services:job-review-decide": {"approve": False, "note": "不通过"},
    "v1:services:my-feedback-rate": {"rating": 5},
    "v1:services:my-feedback-replies": {"body": "补充一下"},
    "v1:services:staff-feedback-replies": {"body": "已处理"},
}


# --- object kinds ---------------------------------------------------------------------------------------------


@dataclass
class Kind:
    """How to build a pair (mine, other) and who finds which.

    ``scope``: "block" — a role finds the object of the block it answers for (or the row it owns), and
    roles in ``sees_other`` find the other one too; "owner" — only the owning resident finds it; "public" —
    everyone let in finds both.
    """

    build: Callable[[World], tuple]
    scope: str = "block"
    sees_other: frozenset[str] = WHOLE_DISTRICT
    sees_mine: frozenset[str] | None = None  # when not every role let in finds its own object
    lookup: str = "pk"


@dataclass
class World:
    district: object
    users: dict[str, object]
    tokens: dict[str, str] = field(default_factory=dict)
    made: dict[str, tuple] = field(default_factory=dict)

    def pair(self, kind: str) -> tuple:
        if kind not in self.made:
            self.made[kind] = KINDS[kind].build(self)
        return self.made[kind]


def _now():
    return timezone.now()


def _tenancies(w: World):
    from residents.factories import ResidentFactory
    from residents.models import Tenancy

    def one(apartment, user, n):
        resident = ResidentFactory(name=f"居民{n}", user=user)
        room = apartment.rooms.first()
        return Tenancy.objects.create(resident=resident, room=room, bed="1", check_in=date.today() - timedelta(days=5))

    if "tenancy" not in w.made:
        w.made["tenancy"] = (
            one(w.district.mine, w.users[RESIDENT], 101),
            one(w.district.other, w.users["resident2"], 102),
        )
    return w.made["tenancy"]


def _tenancy_requests(w: World):
    from residents.models import TenancyRequest

    return tuple(
        TenancyRequest.objects.create(resident=t.resident, room=t.room, arrival=date.today()) for t in _tenancies(w)
    )


def _my_notices(w: World):
    from residents.models import Notice

    return tuple(
        Notice.objects.create(key=f"matrix-{u.pk}", recipient=u, kind="x", title="t", text="x")
        for u in (w.users[RESIDENT], w.users["resident2"])
    )


def _registrations(w: World):
    from residents.models import ResidenceRegistration

    return tuple(
        ResidenceRegistration.objects.create(
            resident=t.resident, tenancy=t, status="submitted", resides_since=t.check_in, submitted_at=_now()
        )
        for t in _tenancies(w)
    )


def _permits(w: World):
    from residents.models import ResidencePermit

    return tuple(
        ResidencePermit.objects.create(
            resident=t.resident, basis="job", applied_at=_now(), registered_since=date.today() - timedelta(days=200)
        )
        for t in _tenancies(w)
    )


def _access_events(w: World):
    from residents.models import AccessEvent

    return tuple(
        AccessEvent.objects.create(apartment=a, at=_now(), method="card", decision="deny_unknown", reason="未知卡")
        for a in (w.district.mine, w.district.other)
    )


def _devices(w: World):
    from sensors.models import Device, DeviceType

    kind = DeviceType.objects.get(code="smart_electricity")
    return tuple(
        Device.objects.create(key=f"pm-{a.pk}-elec", device_type=kind, apartment=a, location="一楼配电间")
        for a in (w.district.mine, w.district.other)
    )


def _device_types(w: World):
    from sensors.models import DeviceType

    return (DeviceType.objects.get(code="smart_electricity"), DeviceType.objects.get(code="water_level"))


def _templates(w: World):
    from apartments.models import ChecklistTemplate

    return tuple(ChecklistTemplate.objects.create(kind=k, name=f"检查表 {k}") for k in ("fire", "police"))


def _inspections(w: World):
    from apartments.models import Inspection

    fire, police = w.pair("template")
    return (
        Inspection.objects.create(apartment=w.district.mine, template=fire, kind="fire", inspector=w.users[GRID]),
        Inspection.objects.create(
            apartment=w.district.other, template=police, kind="police", inspector=w.users[POLICE]
        ),
    )


def _hazards(w: World):
    from apartments.models import Hazard

    due = date.today() + timedelta(days=3)
    return (
        Hazard.objects.create(
            apartment=w.district.mine, kind="fire", title="私拉电线", deadline=due, responsible_enterprise=w.made_ent[0]
        ),
        Hazard.objects.create(
            apartment=w.district.other,
            kind="police",
            title="门禁损坏",
            deadline=due,
            responsible_enterprise=w.made_ent[1],
        ),
    )


def _alarms(w: World):
    from alerts.models import Alert, AlertRule
    from sensors.models import DeviceType

    rule = AlertRule.objects.create(
        code="pm-temp", name="线温过高", device_type=DeviceType.objects.get(code="smart_electricity")
    )
    return tuple(
        Alert.objects.create(
            rule=rule, apartment=a, severity="major", title="线温过高", raised_at=_now(), last_triggered_at=_now()
        )
        for a in (w.district.mine, w.district.other)
    )


def _commands(w: World):
    from alerts.models import Command, CommandParticipant, ResponsePlan

    plan = ResponsePlan.objects.create(name="电气火灾预案", category="electrical")
    pair = tuple(
        Command.objects.create(plan=plan, apartment=a, what="处置", started_by=w.users[STREET], started_at=_now())
        for a in (w.district.mine, w.district.other)
    )
    person = w.users[FIRE_SAFETY]
    CommandParticipant.objects.create(
        command=pair[0], recipient_key=f"user:{person.pk}", name="消防责任人", user=person
    )
    return pair


def _jobs(w: World, status: str):
    from services.models import JobPosting

    return tuple(
        JobPosting.objects.create(
            enterprise=e,
            title=f"普工 {i}",
            wage_min=5000,
            wage_max=7000,
            working_hours="8小时",
            location="石桥",
            contact_name="王",
            contact_phone="13800000000",
            status=status,
        )  # fmt: skip
        for i, e in enumerate(w.made_ent)
    )


def _applications(w: World):
    from services.models import JobApplication

    mine, other = w.pair("own_job")
    return (
        JobApplication.objects.create(job=mine, applicant=w.users[RESIDENT], name="张三", phone="19900000001"),
        JobApplication.objects.create(job=other, applicant=w.users["resident2"], name="李四", phone="19900000002"),
    )


def _rentals(w: World):
    from services.models import RentalListing

    return tuple(
        RentalListing.objects.create(
            apartment=a, room_kind="single", title="单间", monthly_rent=900, contact_phone="13800000000"
        )
        for a in (w.district.mine, w.district.other)
    )


def _viewings(w: World):
    from services.models import ViewingRequest

    mine, other = w.pair("rental")
    return (
        ViewingRequest.objects.create(listing=mine, user=w.users[RESIDENT], name="张三", preferred_time=_now()),
        ViewingRequest.objects.create(listing=other, user=w.users["resident2"], name="李四", preferred_time=_now()),
    )


def _clinics(w: World):
    from services.models import Clinic

    return tuple(
        Clinic.objects.create(
            name=f"社区卫生服务站{i}",
            kind="health_station",
            address="石桥路1号",
            latitude=30.33,
            longitude=120.19,
            phone="0571-88888888",
            opening_hours="8:00-17:00",
        )  # fmt: skip
        for i in (1, 2)
    )


def _appointments(w: World):
    from services.models import Appointment

    mine, other = w.pair("clinic")
    day = date.today() + timedelta(days=1)
    return (
        Appointment.objects.create(clinic=mine, user=w.users[RESIDENT], name="张三", date=day, period="am"),
        Appointment.objects.create(clinic=other, user=w.users["resident2"], name="李四", date=day, period="pm"),
    )


def _articles(w: World):
    from services.models import Article

    return tuple(Article.objects.create(module="social_security", title=f"社保指南{i}", body="...") for i in (1, 2))


def _notices(w: World):
    from services.models import Notice

    return tuple(Notice.objects.create(title=f"通知{i}", body="...") for i in (1, 2))


def _garbage(w: World):
    from services.models import GarbageItem

    return tuple(GarbageItem.objects.create(name=n, category="recyclable") for n in ("纸箱", "塑料瓶"))


def _feedback_categories(w: World):
    from services.models import FeedbackCategory

    return tuple(FeedbackCategory.objects.create(name=n, route_to="property_manager") for n in ("物业", "维修"))


def _feedback(w: World, public: bool):
    from services.models import Feedback, FeedbackCategory

    category = FeedbackCategory.objects.create(name="物业问题", route_to="property_manager")
    due = _now() + timedelta(days=2)
    answered = _now() if public else None
    return tuple(
        Feedback.objects.create(
            category=category,
            author=author,
            apartment=a,
            title="楼道灯坏了",
            body="三楼",
            route_to="property_manager",
            due_at=due,
            is_public=public,
            first_response_at=answered,
        )  # fmt: skip
        for author, a in ((w.users[RESIDENT], w.district.mine), (w.users["resident2"], w.district.other))
    )


def _service_requests(w: World):
    from services.models import ServiceRequest

    return tuple(
        ServiceRequest.objects.create(module="social_security", kind="参保", user=u, name="张三", details="...")
        for u in (w.users[RESIDENT], w.users["resident2"])
    )


def _repairs(w: World):
    from services.models import RepairRequest

    return tuple(
        RepairRequest.objects.create(apartment=a, user=u, category="electric", description="插座坏了")
        for u, a in ((w.users[RESIDENT], w.district.mine), (w.users["resident2"], w.district.other))
    )


ALL_FIND = frozenset(EVERYONE)
KINDS: dict[str, Kind] = {
    "apartment": Kind(lambda w: (w.district.mine, w.district.other)),
    "template": Kind(_templates, scope="public"),
    # Inspections and hazards: departments see their own kinds (fire for the fire inspector), not the district.
    # Inspections and hazards of a kind (fire, police...) go to that department; mine is a fire inspection in the
    # block, the other one a police inspection elsewhere. Enterprises see only hazards they must rectify.
    "inspection": Kind(_inspections, sees_other=STREET_ONLY | {POLICE}, sees_mine=STAFF - {ENTERPRISE, POLICE}),
    "hazard": Kind(_hazards, sees_other=STREET_ONLY | {POLICE}, sees_mine=STAFF - {POLICE}),
    "resident": Kind(lambda w: tuple(t.resident for t in _tenancies(w))),
    "tenancy": Kind(_tenancies),
    "registration": Kind(_registrations),
    "permit": Kind(_permits),
    "access_event": Kind(_access_events),
    "device": Kind(_devices),
    "device_type": Kind(_device_types, scope="public", lookup="code"),
    "alarm": Kind(_alarms, sees_mine=STAFF - {ENTERPRISE}),
    "command": Kind(_commands, sees_mine=STAFF - {ENTERPRISE}),
    "published_job": Kind(lambda w: _jobs(w, "published"), scope="public"),
    "pending_job": Kind(lambda w: _jobs(w, "pending"), scope="public"),
    "own_job": Kind(lambda w: _jobs(w, "published"), sees_other=STREET_ONLY),
    "application": Kind(_applications, sees_other=STREET_ONLY),
    "public_rental": Kind(_rentals, scope="public"),
    "rental": Kind(_rentals, sees_other=STREET_ONLY),
    "viewing": Kind(_viewings, sees_other=STREET_ONLY),
    "repair": Kind(_repairs, sees_other=STREET_ONLY),
    "clinic": Kind(_clinics, scope="public"),
    "article": Kind(_articles, scope="public"),
    "notice": Kind(_notices, scope="public"),
    "garbage_item": Kind(_garbage, scope="public"),
    "feedback_category": Kind(_feedback_categories, scope="public"),
    "board_feedback": Kind(lambda w: _feedback(w, public=True), scope="public"),
    # Feedback routed to the property manager: the block's manager and grid worker follow it, not departments.
    "staff_feedback": Kind(
        lambda w: _feedback(w, public=False),
        sees_other=STREET_ONLY,
        sees_mine=frozenset({STREET, SUPER, MANAGER, GRID}),
    ),
    "service_request": Kind(_service_requests, scope="public"),
    "my_application": Kind(_applications, scope="owner"),
    "my_viewing": Kind(_viewings, scope="owner"),
    "my_appointment": Kind(_appointments, scope="owner"),
    "my_service_request": Kind(_service_requests, scope="owner"),
    "my_repair": Kind(_repairs, scope="owner"),
    "my_feedback": Kind(lambda w: _feedback(w, public=False), scope="owner"),
    "tenancy_request": Kind(_tenancy_requests),
    "my_notice": Kind(_my_notices, scope="owner"),
}


def finds(kind: Kind, role: str, which: str) -> bool:
    """Whether ``role`` (already let in) finds the ``which`` ("mine" / "other") object of ``kind``."""
    if kind.scope == "public":
        return True
    if kind.scope == "owner":
        return which == "mine" and role == RESIDENT
    if which == "mine":
        return kind.sees_mine is None or role in kind.sees_mine
    return role in kind.sees_other


# --- the world and its callers ---------------------------------------------------------------------------------


@pytest.fixture
def world(district) -> World:
    from apartments.models import Enterprise
    from sensors.models import Device, DeviceType

    users = {role: district.users[role] for role in Role.values}
    users[INSPECTOR].department = Department.FIRE
    users[INSPECTOR].save()
    users[SUPER] = UserFactory(role=Role.STREET_ADMIN, username="root", is_superuser=True)
    users[POLICE] = UserFactory(role=Role.INSPECTOR, username="police", department=Department.POLICE)
    users["resident2"] = UserFactory(role=Role.RESIDENT, username="resident2")
    w = World(district=district, users=users)
    ent_mine = Enterprise.objects.create(name="杭州新华服饰有限公司", credit_code="91330105MA0000001X")
    ent_mine.staff.add(users[ENTERPRISE])
    ent_other = Enterprise.objects.create(name="杭州华丰电子有限公司", credit_code="91330105MA0000002X")
    w.made_ent = (ent_mine, ent_other)
    for pseudo, code in ((DOOR, "door_controller"), (ELEVATOR, "elevator"), (SENSOR, "smart_electricity")):
        device = Device.objects.create(
            key=f"pm-{pseudo}", device_type=DeviceType.objects.get(code=code), apartment=district.mine
        )
        w.tokens[pseudo] = device.issue_token()
    _tenancies(w)  # the resident has a record, a room and a block from the start
    return w


def client_for(w: World, role: str) -> APIClient:
    client = APIClient()
    if role in DEVICES:
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {w.tokens[role]}")
    elif role != ANON:
        client.force_login(w.users[role])
    return client


def call(client: APIClient, method: str, url: str, body: dict | None) -> int:
    cache.clear()  # throttles and cached public lists must not leak from one role to the next
    with transaction.atomic():
        response = getattr(client, method.lower())(url, body or {}, format="json")
        transaction.set_rollback(True)
    return response.status_code


# --- walking the URL conf ------------------------------------------------------------------------------------


def api_routes() -> dict[str, str]:
    """Every URL pattern under /api/v1/, by name (or by path when it has none) → its path template."""
    out: dict[str, str] = {}

    def walk(patterns, prefix: str, namespace: str) -> None:
        for p in patterns:
            if isinstance(p, URLResolver):
                ns = f"{namespace}:{p.namespace}" if p.namespace and namespace else (p.namespace or namespace)
                walk(p.url_patterns, prefix + str(p.pattern), ns)
            elif isinstance(p, URLPattern):
                path = prefix + str(p.pattern)
                if path.startswith("api/v1/"):
                    key = f"{namespace}:{p.name}" if p.name else path.replace("^", "").replace("$", "")
                    out[key] = path

    walk(get_resolver().url_patterns, "", "")
    return out


def url_of(template: str, value: object | None) -> str:
    path = template.replace("^", "").replace("$", "")
    path = re.sub(r"\(\?P<\w+>[^)]*\)", str(value), path)
    path = re.sub(r"<(?:\w+:)?\w+>", str(value), path)
    return "/" + path


def methods_served(template: str) -> set[str]:
    match = get_resolver().resolve(url_of(template, 1))
    callback = match.func
    if getattr(callback, "actions", None):
        return {m.upper() for m in callback.actions} - {"OPTIONS", "HEAD"}
    view = callback.cls if hasattr(callback, "cls") else callback.view_class
    return {m.upper() for m in view.http_method_names if hasattr(view, m)} - {"OPTIONS", "HEAD"}


ROUTES = api_routes()


def test_every_api_endpoint_and_method_has_a_rule():
    missing = sorted(set(ROUTES) - set(API_RULES))
    assert not missing, f"endpoints without a permission rule in tests/test_permission_matrix.py: {missing}"
    stale = sorted(set(API_RULES) - set(ROUTES))
    assert not stale, f"rules for endpoints that no longer exist: {stale}"
    for key, template in ROUTES.items():
        served, ruled = methods_served(template), set(API_RULES[key].methods())
        assert served == ruled, f"{key}: served {sorted(served)}, rules for {sorted(ruled)}"


REFUSED = {401, 403, 404, 405}


@pytest.mark.django_db
@pytest.mark.parametrize("key", sorted(API_RULES))
def test_api_lets_in_exactly_the_roles_of_its_rule(key, world):
    rule = API_RULES[key]
    template = ROUTES[key]
    kind = KINDS[rule.obj] if rule.obj else None
    if kind:
        mine, other = world.pair(rule.obj)
        targets = {"mine": getattr(mine, kind.lookup), "other": getattr(other, kind.lookup)}
    else:
        targets = {"-": None}
    wrong = []
    for role in sorted(EVERYONE):
        client = client_for(world, role)
        for method, allowed in rule.methods().items():
            for which, value in targets.items():
                body = BODIES.get(key)
                status = call(client, method, url_of(template, value), body(world) if callable(body) else body)
                if status >= 500:
                    wrong.append(f"{method} {which} as {role}: server error {status}")
                elif role not in allowed:
                    if status not in REFUSED:
                        wrong.append(f"{method} {which} as {role}: {status}, should be refused")
                elif kind is None or finds(kind, role, which):
                    if status in REFUSED:
                        wrong.append(f"{method} {which} as {role}: {status}, should be let in")
                elif status not in {403, 404}:
                    wrong.append(f"{method} {which} as {role}: {status}, should not find another's object")
    assert not wrong, f"{key} ({template}):\n  " + "\n  ".join(wrong)


# --- admin pages ---------------------------------------------------------------------------------------------
# What each role may do on each admin page: v(iew) a(dd) c(hange) d(elete). Superusers may do everything unless
# listed (records that are only ever created by the system or by the resident); a role not listed may do nothing.
# Residents and anonymous visitors never get into the admin.

ADMIN_RULES: dict[str, dict[str, str]] = {
    "auth.group": {},
    "accounts.user": {STREET: "vacd"},
    "accounts.auditentry": {STREET: "v", SUPER: "v"},
    "apartments.subdistrict": {STREET: "vacd"},
    "apartments.community": {STREET: "vacd", INSPECTOR: "v", POLICE: "v", GRID: "v", STATION: "v", FIRE_SAFETY: "v"},
    "apartments.grid": {STREET: "vacd", INSPECTOR: "v", POLICE: "v", GRID: "v", STATION: "v", FIRE_SAFETY: "v"},
    "apartments.propertycompany": {
        STREET: "vacd",
        INSPECTOR: "v",
        POLICE: "v",
        GRID: "v",
        STATION: "v",
        FIRE_SAFETY: "v",
        MANAGER: "v",
    },  # fmt: skip
    "apartments.microfirestation": {
        STREET: "vacd",
        INSPECTOR: "v",
        POLICE: "v",
        GRID: "v",
        STATION: "v",
        FIRE_SAFETY: "v",
    },  # fmt: skip
    "apartments.enterprise": {STREET: "vacd", INSPECTOR: "v", POLICE: "v", GRID: "v"},
    "apartments.apartment": {
        STREET: "vacd",
        INSPECTOR: "v",
        POLICE: "v",
        GRID: "v",
        STATION: "v",
        FIRE_SAFETY: "v",
        MANAGER: "vc",
    },  # fmt: skip
    "apartments.room": {
        STREET: "vacd",
        INSPECTOR: "v",
        POLICE: "v",
        GRID: "v",
        STATION: "v",
        FIRE_SAFETY: "v",
        MANAGER: "vacd",
    },  # fmt: skip
    "apartments.checklisttemplate": {STREET: "vacd", INSPECTOR: "v", POLICE: "v", GRID: "v"},
    "apartments.inspectionplan": {STREET: "vacd", INSPECTOR: "v", POLICE: "v", GRID: "v"},
    "apartments.inspection": {
        STREET: "v",
        INSPECTOR: "v",
        POLICE: "v",
        GRID: "v",
        MANAGER: "v",
        FIRE_SAFETY: "v",
        STATION: "v",
    },  # fmt: skip
    "apartments.hazard": {
        STREET: "v",
        INSPECTOR: "v",
        POLICE: "v",
        GRID: "v",
        MANAGER: "v",
        FIRE_SAFETY: "v",
        STATION: "v",
        ENTERPRISE: "v",
    },  # fmt: skip
    "residents.resident": {STREET: "vacd", MANAGER: "vacd", GRID: "v", INSPECTOR: "v", POLICE: "v"},
    "residents.tenancy": {STREET: "vacd", MANAGER: "vacd", GRID: "v", INSPECTOR: "v", POLICE: "v"},
    "residents.residenceregistration": {
        STREET: "vcd",
        MANAGER: "vc",
        INSPECTOR: "vc",
        POLICE: "vc",
        GRID: "v",
        SUPER: "vcd",
    },  # fmt: skip
    "residents.residencepermit": {STREET: "vcd", INSPECTOR: "vc", POLICE: "vc", MANAGER: "v", SUPER: "vcd"},
    "residents.faceconsent": {STREET: "vc", MANAGER: "vc", SUPER: "vc"},
    "residents.faceenrolment": {STREET: "v", MANAGER: "v"},
    "residents.accesscredential": {STREET: "v", MANAGER: "v"},
    "residents.facedoorgrant": {STREET: "va", MANAGER: "va"},
    "residents.accessevent": {STREET: "v", MANAGER: "v", GRID: "v", INSPECTOR: "v", POLICE: "v"},
    "residents.tenancyrequest": {STREET: "vc", MANAGER: "vc", GRID: "v", SUPER: "vcd"},
    "residents.notice": {role: "v" for role in STAFF | {SUPER}},  # each sees only their own notices
    "residents.suspiciousmovement": {STREET: "v", MANAGER: "v", GRID: "v", INSPECTOR: "v", POLICE: "v"},
    "sensors.devicetype": {STREET: "vacd", MANAGER: "v", STATION: "v"},
    "sensors.device": {STREET: "vacd", MANAGER: "vacd", STATION: "v", GRID: "v", FIRE_SAFETY: "v"},
    "sensors.rejection": {STREET: "v", MANAGER: "v", STATION: "v", GRID: "v", FIRE_SAFETY: "v"},
    "sensors.devicecommand": {STREET: "v", MANAGER: "v", STATION: "v", GRID: "v", FIRE_SAFETY: "v"},
    "alerts.alertrule": {STREET: "vacd", STATION: "v", INSPECTOR: "v", POLICE: "v"},
    "alerts.alert": {
        STREET: "v",
        STATION: "v",
        INSPECTOR: "v",
        POLICE: "v",
        GRID: "v",
        FIRE_SAFETY: "v",
        MANAGER: "v",
    },  # fmt: skip
    "alerts.escalationstep": {STREET: "vacd", STATION: "v", INSPECTOR: "v", POLICE: "v"},
    "alerts.contact": {STREET: "vacd"},
    "alerts.camera": {STREET: "vacd", STATION: "v", INSPECTOR: "v", POLICE: "v"},
    "alerts.responseplan": {STREET: "vacd", STATION: "v", INSPECTOR: "v", POLICE: "v"},
    "alerts.command": {STREET: "v", STATION: "v", INSPECTOR: "v", POLICE: "v"},
    "alerts.notification": {STREET: "v", STATION: "v"},
    "services.jobposting": {STREET: "vacd", ENTERPRISE: "vacd"},
    "services.jobapplication": {STREET: "v", ENTERPRISE: "vc"},
    "services.rentallisting": {STREET: "vacd", MANAGER: "vacd", GRID: "v"},
    "services.viewingrequest": {STREET: "v", MANAGER: "vc"},
    "services.clinic": {STREET: "vacd"},
    "services.appointment": {STREET: "vc", SUPER: "vc"},  # and a clinic's own staff
    "services.article": {STREET: "vacd"},
    "services.servicerequest": {STREET: "vc"},
    "services.notice": {STREET: "vacd", MANAGER: "vacd", GRID: "vacd"},
    "services.repairrequest": {STREET: "v", MANAGER: "vc", GRID: "v"},
    "services.garbageitem": {STREET: "vacd"},
    "services.feedbackcategory": {STREET: "vacd"},
    "services.feedback": {STREET: "vc", MANAGER: "vc", INSPECTOR: "vc", POLICE: "vc", GRID: "v"},
}

# Admin pages of a row in a block: which object pair to open, and who finds the other block's row.
ADMIN_OBJECTS: dict[str, tuple[str, frozenset[str], frozenset[str] | None]] = {
    # label: (object kind, roles that find the other one, roles that find mine (None: all let in))
    "apartments.apartment": ("apartment", WHOLE_DISTRICT, None),
    "apartments.inspection": ("inspection", STREET_ONLY | {POLICE}, STAFF - {POLICE, ENTERPRISE}),
    "apartments.hazard": ("hazard", STREET_ONLY | {POLICE}, STAFF - {POLICE}),
    "residents.resident": ("resident", WHOLE_DISTRICT, None),
    "residents.tenancy": ("tenancy", WHOLE_DISTRICT, None),
    "residents.residenceregistration": ("registration", WHOLE_DISTRICT, None),
    "residents.residencepermit": ("permit", WHOLE_DISTRICT, None),
    "residents.accessevent": ("access_event", WHOLE_DISTRICT, None),
    "sensors.device": ("device", WHOLE_DISTRICT, None),
    "alerts.alert": ("alarm", WHOLE_DISTRICT, None),
    "alerts.command": ("command", WHOLE_DISTRICT, None),
    "services.jobposting": ("own_job", STREET_ONLY, None),
    "services.jobapplication": ("application", STREET_ONLY, None),
    "services.rentallisting": ("rental", WHOLE_DISTRICT, None),
    "services.viewingrequest": ("viewing", WHOLE_DISTRICT, None),
    "services.repairrequest": ("repair", WHOLE_DISTRICT, None),
    "services.feedback": ("staff_feedback", STREET_ONLY, frozenset({STREET, MANAGER, GRID})),
}

ADMIN_ROLES = sorted(PEOPLE | {ANON})


def may(label: str, role: str, action: str) -> bool:
    if role == SUPER and SUPER not in ADMIN_RULES[label]:
        return True
    return action in ADMIN_RULES[label].get(role, "")


def test_every_admin_page_has_a_rule():
    registered = {model._meta.label_lower for model in admin.site._registry}
    assert registered == set(ADMIN_RULES), (
        f"admin pages without a rule: {sorted(registered - set(ADMIN_RULES))}; "
        f"rules without a page: {sorted(set(ADMIN_RULES) - registered)}"
    )


def _admin_status(client, url: str) -> int:
    cache.clear()
    with transaction.atomic():
        response = client.get(url)
        transaction.set_rollback(True)
    if response.status_code == 302:
        target = response["Location"]
        return 401 if "/login/" in target else 404  # to the login page, or "does not exist" back to the index
    return response.status_code


@pytest.mark.django_db
@pytest.mark.parametrize("label", sorted(ADMIN_RULES))
def test_admin_page_lets_in_exactly_the_roles_of_its_rule(label, world):
    app, model = label.split(".")
    pages = {"changelist": ("v", None), "add": ("a", None)}
    targets: dict[str, object] = {}
    if label in ADMIN_OBJECTS:
        kind, sees_other, sees_mine = ADMIN_OBJECTS[label]
        mine, other = world.pair(kind)
        targets = {"mine": mine.pk, "other": other.pk}
    wrong = []
    for role in ADMIN_ROLES:
        client = client_for(world, role)
        for page, (action, _) in pages.items():
            status = _admin_status(client, reverse(f"admin:{app}_{model}_{page}"))
            expect_ok = may(label, role, action) or (page == "changelist" and may(label, role, "c"))
            if status >= 500 or (status == 200) != expect_ok:
                wrong.append(f"{page} as {role}: {status}, expected {'200' if expect_ok else 'refusal'}")
        for which, pk in targets.items():
            for page, action in (("change", "v"), ("delete", "d")):
                status = _admin_status(client, reverse(f"admin:{app}_{model}_{page}", args=[pk]))
                allowed = may(label, role, action) or (page == "change" and may(label, role, "c"))
                if role == SUPER:
                    found = True
                elif which == "other":
                    found = role in sees_other
                else:
                    found = sees_mine is None or role in sees_mine
                expect_ok = allowed and found
                if status >= 500 or (status == 200) != expect_ok:
                    wrong.append(f"{page} {which} as {role}: {status}, expected {'200' if expect_ok else 'refusal'}")
    assert not wrong, f"admin {label}:\n  " + "\n  ".join(wrong)


@pytest.mark.django_db
def test_the_admin_index_opens_for_staff_only(world):
    for role in ADMIN_ROLES:
        status = _admin_status(client_for(world, role), reverse("admin:index"))
        assert (status == 200) == (role in STAFF), f"admin index as {role}: {status}"
