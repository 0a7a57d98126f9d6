"""The precomputed figures: what refresh_figures stores and what the screen reads back."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from accounts.models import Role
from cockpit.aggregates import refresh_figures
from cockpit.models import BlockDay, BlockFigures, BlockState
from cockpit.overview import headline, overview, top_risks, trends
from cockpit.tests.factories import populate
from residents.factories import TenancyFactory


def test_it_counts_residents_rooms_and_devices_per_block(district):
    today = timezone.localdate()
    populate(district.mine, residents=3, devices=4, online=4, check_in=today - timedelta(days=2))
    populate(district.other, residents=1, devices=10, online=2, check_in=today - timedelta(days=40))

    assert refresh_figures() == 2

    mine = BlockFigures.objects.get(apartment=district.mine)
    assert (mine.residents, mine.devices, mine.devices_online) == (3, 4, 4)
    assert mine.rooms == 2  # the district fixture's room 101 and the populated one
    assert mine.state == BlockState.NORMAL
    other = BlockFigures.objects.get(apartment=district.other)
    assert other.devices_offline == 8
    assert other.state == BlockState.OFFLINE
    assert "8台设备离线" in other.risk_reasons


def test_it_keeps_check_ins_and_check_outs_per_day(district):
    today = timezone.localdate()
    populate(district.mine, residents=2, devices=0, online=0, check_in=today - timedelta(days=1))
    TenancyFactory(room=district.mine.rooms.first(), check_in=today - timedelta(days=5), check_out=today)

    refresh_figures(days=7)

    days = {(d.day, d.figure): d.value for d in BlockDay.objects.filter(apartment=district.mine)}
    assert days[(today - timedelta(days=1), "check_ins")] == 2
    assert days[(today - timedelta(days=5), "check_ins")] == 1
    assert days[(today, "check_outs")] == 1


def test_a_second_refresh_replaces_the_figures_instead_of_adding_to_them(district):
    today = timezone.localdate()
    populate(district.mine, residents=2, devices=1, online=1, check_in=today)
    refresh_figures(days=3)
    refresh_figures(days=3)
    assert BlockFigures.objects.count() == 2
    assert BlockDay.objects.get(apartment=district.mine, day=today, figure="check_ins").value == 2


def test_the_street_sees_the_district_and_a_fire_station_only_its_area(district):
    today = timezone.localdate()
    populate(district.mine, residents=3, devices=2, online=2, check_in=today)
    populate(district.other, residents=5, devices=2, online=0, check_in=today)
    refresh_figures()

    street = headline(district.users[Role.STREET_ADMIN], today)
    station = headline(district.users[Role.STATION_OPERATOR], today)

    assert (street["blocks"], street["residents"], street["devices_online"]) == (2, 8, 2)
    assert (station["blocks"], station["residents"]) == (1, 3)
    assert street["states"] == {"normal": 1, "warning": 0, "alarm": 0, "offline": 1}
    names = [b["name"] for b in overview(district.users[Role.STATION_OPERATOR])["blocks"]]
    assert names == ["新华工业园6号公寓"]


def test_the_top_ten_lists_the_riskiest_blocks_first_with_their_reasons(district):
    today = timezone.localdate()
    populate(district.mine, residents=1, devices=4, online=4, check_in=today)
    populate(district.other, residents=1, devices=4, online=0, check_in=today)
    refresh_figures()

    top = top_risks(district.users[Role.STREET_ADMIN])

    assert top[0]["name"] == "华丰工业园9号公寓"
    assert "4台设备离线" in top[0]["risk_reasons"]
    assert all(row["risk_score"] > 0 for row in top)


def test_trends_cover_fourteen_days_ending_today(district):
    today = timezone.localdate()
    populate(district.mine, residents=2, devices=0, online=0, check_in=today)
    refresh_figures(days=14)

    t = trends(district.users[Role.STREET_ADMIN], today)

    assert len(t["days"]) == 14
    assert t["days"][-1] == today.strftime("%m-%d")
    assert t["check_ins"][-1] == 2
    assert len(t["door_today"]) == 24


def test_alarms_count_by_kind_and_time_to_acknowledge(district, django_capture_on_commit_callbacks):
    from alerts.alarms import alarm_acknowledge
    from alerts.factories import raise_alarm
    from alerts.models import AlertRule
    from sensors.factories import DeviceFactory
    from sensors.models import DeviceType

    electricity = DeviceType.objects.get(code="smart_electricity")
    rule = AlertRule.objects.create(code="t_wire", name="线缆温度过高", device_type=electricity, severity="critical")
    other_rule = AlertRule.objects.create(code="t_leak", name="剩余电流", device_type=electricity, severity="major")
    now = timezone.now()
    raised = []
    for r, metric in ((rule, "wire_temp"), (other_rule, "residual_current")):
        device = DeviceFactory(apartment=district.mine)
        raised.append(
            raise_alarm(
                rule_id=r.pk,
                device_id=device.pk,
                apartment_id=district.mine.pk,
                severity=r.severity,
                title=r.name,
                metric=metric,
                unit="",
                value=1.0,
                at=now - timedelta(minutes=10),
                reopen_after=0,
            )
        )
    alarm_acknowledge(
        alert_id=raised[1].pk, by=district.users[Role.STREET_ADMIN], end="cockpit", now=now - timedelta(minutes=8)
    )

    refresh_figures()

    figures = BlockFigures.objects.get(apartment=district.mine)
    assert (figures.alarms_open, figures.alarms_critical_open, figures.alarms_week) == (2, 1, 2)
    assert figures.alarm_kinds_week == {"wire_temp": 1, "residual_current": 1}
    assert figures.state == BlockState.ALARM
    assert "2起报警尚未处置" in figures.risk_reasons
    h = headline(district.users[Role.STREET_ADMIN], timezone.localdate())
    assert h["alarms_today"] == 2
    assert h["ack_average_seconds"] == 120
    assert {k["label"] for k in h["alarms_today_by_kind"]} == {"线缆温度", "剩余电流"}


def test_registration_hazards_and_feedback_reach_the_figures_and_the_key_work_panels(district):
    from datetime import datetime

    from apartments.hazards import hazard_create
    from residents.registration import registration_submit
    from services.factories import FeedbackCategoryFactory
    from services.models import Feedback

    today = timezone.localdate()
    street = district.users[Role.STREET_ADMIN]
    populate(district.mine, residents=4, devices=0, online=0, check_in=today - timedelta(days=10))
    tenancies = list(district.mine.rooms.get(capacity=4).tenancies.all())
    registration_submit(tenancy=tenancies[0], by=street)
    hazard_create(
        apartment=district.mine,
        kind="fire",
        title="电瓶车楼道充电",
        created_by=street,
        deadline=today - timedelta(days=1),
    )
    hazard_create(apartment=district.mine, kind="garbage", title="垃圾未分类", created_by=street)
    Feedback.objects.create(
        category=FeedbackCategoryFactory(),
        author=district.users[Role.RESIDENT],
        apartment=district.mine,
        title="楼道灯坏了",
        body="三楼楼道灯不亮",
        route_to="property_manager",
        due_at=timezone.make_aware(datetime.combine(today + timedelta(days=1), datetime.min.time())),
    )

    refresh_figures()

    f = BlockFigures.objects.get(apartment=district.mine)
    assert (f.residents, f.registered, f.registration_overdue) == (4, 1, 3)
    assert (f.hazards_open, f.hazards_overdue, f.hazard_kinds_open) == (2, 1, {"fire": 1, "garbage": 1})
    assert f.feedback_open == 1
    assert f.state == BlockState.WARNING  # an overdue hazard
    # 15 (capped) + 10 (no patrol this week) + 8 + 3 + 1
    assert f.risk_reasons == [
        "3名住户未登记",
        "本周巡查覆盖率0%",
        "1项隐患逾期未整改",
        "1项隐患整改中",
        "1条诉求待回复",
    ]
    assert f.risk_score == 37
    panels = {p["key"]: p for p in overview(street)["key_work"]}
    assert panels["personnel"]["to_act"][0]["detail"] == "3人未登记，3人逾期"
    assert panels["garbage"]["figures"][0] == {"label": "待整改隐患", "value": 1}
    assert panels["fire_safety"]["to_act"][0]["name"] == "新华工业园6号公寓"
