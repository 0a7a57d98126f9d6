"""The simulator: realistic readings, the article's e-bike scenario, commands answered, history."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from accounts.models import AuditEntry
from sensors.commands import command_send
from sensors.models import DeviceCommand, LatestValue, Reading, ReadingRollup
from sensors.simulator import SimDevice, Simulator, load_devices
from sensors.transports import InProcessTransport

pytestmark = pytest.mark.django_db


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def block6(make_device, district):
    made = {}
    for suffix, code in [("elec-ebike", "smart_electricity"), ("smoke-3", "smoke_detector"), ("exit-1", "fire_exit")]:
        made[suffix] = make_device(code, key=f"sq006-{suffix}", apartment=district.mine, reporting_interval=30)
    return made


def test_ebike_overheat_climbs_from_35_to_90_degrees_over_two_minutes(block6):
    clock = Clock()
    transport = InProcessTransport()
    sim = Simulator(load_devices(), send=transport.send, scenarios=["ebike-overheat"], clock=clock)
    temps = []
    for _ in range(30):
        sim.step()
        clock.now += 5
        temps.append(LatestValue.objects.filter(device=block6["elec-ebike"], metric="wire_temp").first())
    values = [t.value for t in temps if t is not None]
    assert 34 <= values[0] <= 38  # 35 °C when the scenario starts; the first report comes within 5 s
    assert values[-1] >= 89
    assert all(later > earlier - 1 for earlier, later in zip(values, values[1:], strict=False))  # climbing
    assert Reading.objects.filter(device=block6["smoke-3"]).exists()  # the rest of the block reports too


def test_device_offline_scenario_stops_one_device(block6):
    clock = Clock()
    sim = Simulator(load_devices(), send=InProcessTransport().send, scenarios=["device-offline"], clock=clock)
    for _ in range(40):
        sim.step()
        clock.now += 5
    assert Reading.objects.filter(device=block6["smoke-3"]).values("ts").distinct().count() == 1
    assert Reading.objects.filter(device=block6["exit-1"]).values("ts").distinct().count() >= 5


def test_the_simulated_breaker_trips_when_commanded_and_answers(block6, make_user, django_capture_on_commit_callbacks):
    clock = Clock()
    transport = InProcessTransport()
    sim = Simulator(load_devices(), send=transport.send, scenarios=["ebike-overheat"], clock=clock)
    transport.attach(sim)
    try:
        for _ in range(10):
            sim.step()
            clock.now += 5
        operator = make_user("station_operator")
        with django_capture_on_commit_callbacks(execute=True):
            command = command_send(device=block6["elec-ebike"], action="trip", actor=operator, reason="线缆温度超限")
        for _ in range(3):
            sim.step()
            clock.now += 5
    finally:
        transport.close()
    command.refresh_from_db()
    assert (command.status, command.result_message) == (DeviceCommand.Status.SUCCEEDED, "已分闸断电")
    assert LatestValue.objects.get(device=block6["elec-ebike"], metric="current").value == 0.0
    actions = list(AuditEntry.objects.filter(target_id=str(command.pk)).values_list("action", "actor", "reason"))
    assert ("device.command", operator.pk, "线缆温度超限") in actions
    assert ("device.command.result", None, "已分闸断电") in actions


def test_unknown_scenarios_are_refused():
    with pytest.raises(ValueError, match="unknown scenario"):
        Simulator([SimDevice(1, "x", "radar", 30, 6)], send=lambda _m: None, scenarios=["meteor"])


def test_history_writes_past_readings_and_their_rollups(block6, capsys):
    call_command("simulate", "--history-days", "1", "--history-step", "3600")
    assert Reading.objects.filter(device=block6["elec-ebike"], metric="wire_temp").count() == 24
    assert ReadingRollup.objects.filter(device=block6["elec-ebike"], metric="wire_temp", period="hour").count() == 24
    assert "wrote" in capsys.readouterr().out
