from __future__ import annotations

from datetime import date

from apartments.factories import RoomFactory
from apartments.models import Apartment
from residents.factories import TenancyFactory
from sensors.factories import DeviceFactory


def populate(apartment: Apartment, *, residents: int, devices: int, online: int, check_in: date) -> None:
    """``residents`` people living in one room of ``apartment`` and ``devices`` devices, ``online`` of them online."""
    room = RoomFactory(apartment=apartment, capacity=max(residents, 1))
    for i in range(residents):
        TenancyFactory(room=room, bed=str(i + 1), check_in=check_in)
    for i in range(devices):
        DeviceFactory(apartment=apartment, is_online=i < online)
