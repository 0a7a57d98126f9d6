"""The drill-down points at the problem: the device in alarm carries its alarm, and its sparkline plots the
alarm's metric on an honest scale (from zero to the peak), not min-max stretched noise."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from accounts.models import Role
from sensors.models import ReadingRollup


def test_the_device_in_alarm_carries_its_alarm_and_an_honest_sparkline(client, figures):
    from alerts.factories import raise_alarm
    from alerts.models import AlertRule
    from sensors.models import DeviceType

    rule = AlertRule.objects.create(code="t_wire", name="线缆温度过高", severity="critical",
                                    device_type=DeviceType.objects.get(code="smart_electricity"))  # fmt: skip
    hot, calm = list(figures.mine.devices.order_by("pk"))[:2]
    now = timezone.now().replace(minute=0, second=0, microsecond=0)
    for h, value in enumerate([41.0, 41.2, 40.9, 41.1]):  # steady, then the alarm
        ReadingRollup.objects.create(period="hour", device=hot, metric="wire_temp", bucket=now - timedelta(hours=4 - h),
                                     count=2, min_value=value, max_value=value, sum_value=2 * value)  # fmt: skip
        ReadingRollup.objects.create(period="hour", device=hot, metric="current", bucket=now - timedelta(hours=4 - h),
                                     count=1, min_value=3, max_value=3, sum_value=3)  # fmt: skip
    raise_alarm(rule_id=rule.pk, device_id=hot.pk, apartment_id=figures.mine.pk, severity="critical",
                  title="线缆温度过高 95°C", metric="wire_temp", unit="°C", value=95.0, at=timezone.now(),
                  reopen_after=0)  # fmt: skip
    client.force_login(figures.users[Role.STREET_ADMIN])
    detail = client.get(f"/api/v1/cockpit/blocks/{figures.mine.pk}").json()
    devices = {d["id"]: d for f in detail["floors"] for d in f["devices"]} | {
        d["id"]: d for d in detail["building_devices"]
    }
    alarm = devices[hot.pk]["alarm"]
    assert alarm["title"] == "线缆温度过高 95°C" and alarm["severity"] == "critical"
    spark = devices[hot.pk]["sparkline"]
    assert spark["metric"] == "wire_temp" and spark["points"] == [41.0, 41.2, 40.9, 41.1]
    # From zero to the alarm's peak: the steady 41 °C stays flat, the peak is the top of the scale.
    assert spark["low"] == 0 and spark["high"] == 95.0 and spark["enough"]
    assert devices[calm.pk]["alarm"] is None
