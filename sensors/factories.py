from __future__ import annotations

import factory

from apartments.factories import ApartmentFactory
from sensors.catalog import load_catalog
from sensors.models import Device, DeviceType, Metric


def device_type(code: str = "smart_electricity") -> DeviceType:
    """The catalog's device type; reloads the catalog when a transactional test flushed it away."""
    found = DeviceType.objects.filter(code=code).first()
    if found is None:
        load_catalog(DeviceType, Metric)
        found = DeviceType.objects.get(code=code)
    return found


class DeviceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Device

    key = factory.Sequence(lambda n: f"dev-{n:05d}")
    device_type = factory.LazyFunction(device_type)
    apartment = factory.SubFactory(ApartmentFactory)
    floor = 1
    location = "1层配电箱"
    reporting_interval = 30
