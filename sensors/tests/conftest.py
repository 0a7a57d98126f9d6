from __future__ import annotations

import pytest

from sensors import registry
from sensors.factories import DeviceFactory, device_type
from sensors.models import Device


@pytest.fixture(autouse=True)
def _fresh_directory():
    registry.invalidate()
    yield
    registry.invalidate()


@pytest.fixture
def make_device(db):
    def make(type_code: str = "smart_electricity", *, token: str | None = None, **kwargs) -> Device:
        device = DeviceFactory(device_type=device_type(type_code), **kwargs)
        if token:
            from sensors.models import hash_token

            device.token_hash = hash_token(token)
            device.save(update_fields=["token_hash"])
        return device

    return make
