"""Fixtures for the residents tests: real test photos, door devices with tokens, residents in rooms."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import pytest
from django.core.cache import cache
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import Role
from apartments.factories import RoomFactory
from residents.faces import STAMP_KEY, face_index
from residents.factories import ResidentFactory
from residents.models import ResidenceRegistration, Resident, Tenancy
from sensors.factories import DeviceFactory, device_type

FACES = Path(__file__).resolve().parents[2] / "tests" / "data" / "faces"


def face(person: str, photo: str) -> bytes:
    return (FACES / person / photo).read_bytes()


@pytest.fixture(autouse=True)
def _default_language():
    """A request in English leaves English active on the thread (LocaleMiddleware does not reset it); tests that
    call the domain directly must start in the default language whatever ran before them."""
    from django.utils import translation

    translation.activate("zh-hans")
    yield
    translation.activate("zh-hans")


@pytest.fixture(autouse=True)
def _fresh_face_index():
    """Each test rolls the database back, so the per-process face matrices must start empty too."""
    face_index.reset()
    cache.delete(STAMP_KEY)
    yield
    face_index.reset()


@dataclass
class Door:
    device: object
    token: str

    def client(self) -> APIClient:
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {self.token}")
        return client


def _device(kind: str, apartment, **kw) -> Door:
    device = DeviceFactory(device_type=device_type(kind), apartment=apartment, **kw)  # reloads a flushed catalog
    return Door(device=device, token=device.issue_token())


@pytest.fixture
def door(district) -> Door:
    return _device("door_controller", district.mine, floor=1, location="主入口人脸门禁")


@pytest.fixture
def other_door(district) -> Door:
    return _device("door_controller", district.other, floor=1, location="主入口人脸门禁")


@pytest.fixture
def elevator(district) -> Door:
    return _device("elevator", district.mine, floor=None, location="1号电梯")


@pytest.fixture
def make_device():
    return _device


@pytest.fixture
def housed(district, make_user):
    """A resident living in a room of ``district.mine``; registration state chosen by the caller."""

    def make(
        *,
        apartment=None,
        floor: int = 3,
        registered: bool = True,
        days_ago: int = 40,
        user: bool = False,
        **resident_fields,
    ) -> Resident:
        room = RoomFactory(apartment=apartment or district.mine, floor=floor, capacity=4)
        resident = ResidentFactory(**resident_fields)
        if user:
            resident.user = make_user(role=Role.RESIDENT)
            resident.save()
        tenancy = Tenancy.objects.create(
            resident=resident, room=room, bed="1", check_in=timezone.localdate() - timedelta(days=days_ago)
        )
        if registered:
            ResidenceRegistration.objects.create(
                resident=resident,
                tenancy=tenancy,
                status=ResidenceRegistration.Status.CONFIRMED,
                resides_since=tenancy.check_in,
                submitted_at=timezone.now(),
                confirmed_at=timezone.now(),
            )
        return resident

    return make


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def admin_as(client, user):
    """Let ``user`` into the admin (the staff flag) and sign them in on the test ``client``."""
    user.is_staff = True
    user.save()
    client.force_login(user)
    return user


def days_ago(n: int) -> date:
    return timezone.localdate() - timedelta(days=n)
