"""咨询留言、反馈问题: routed by category, answered both ways, deadlines, escalation to the street, rating."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import Department, Role
from residents.factories import ResidentFactory, TenancyFactory
from services.factories import FeedbackCategoryFactory
from services.feedback import escalate_overdue
from services.models import Feedback, FeedbackCategory
from services.signals import feedback_escalated
from services.tests.conftest import jpeg

pytestmark = pytest.mark.django_db


@pytest.fixture
def living_in_mine(district):
    """The test resident lives in the fixture's block 6."""
    resident = ResidentFactory(user=district.users[Role.RESIDENT], name="张小花")
    TenancyFactory(resident=resident, room=district.mine.rooms.first())
    return resident


def ask(client, category, **extra):
    body = {"kind": "report", "category": category.pk, "title": "走廊灯坏了", "body": "三楼走廊灯一周没亮", **extra}
    return client.post("/api/v1/my/feedback/", body, format="multipart")


def test_a_property_question_goes_to_the_blocks_manager_who_answers_and_gets_rated(
    district, living_in_mine, client_for
):
    category = FeedbackCategoryFactory(route_to=FeedbackCategory.Route.PROPERTY_MANAGER, response_hours=24)
    resident = client_for(district.users[Role.RESIDENT])
    created = ask(resident, category, photos=[jpeg()])
    assert created.status_code == 201, created.json()
    thread = created.json()
    assert thread["route_label"] == "所在公寓物业" and thread["status"] == "open" and len(thread["photos"]) == 1
    row = Feedback.objects.get()
    assert row.apartment == district.mine
    assert abs((row.due_at - row.created_at) - timedelta(hours=24)) < timedelta(seconds=5)

    manager = client_for(district.users[Role.PROPERTY_MANAGER])
    assert [f["id"] for f in manager.get("/api/v1/manage/feedback/").json()["results"]] == [row.pk]
    # the station operator and a department inspector do not get block questions
    assert client_for(district.users[Role.STATION_OPERATOR]).get("/api/v1/manage/feedback/").status_code == 403
    assert client_for(district.users[Role.INSPECTOR]).get("/api/v1/manage/feedback/").json()["results"] == []

    replied = manager.post(f"/api/v1/manage/feedback/{row.pk}/replies/", {"body": "已安排电工今天修好"}, format="json")
    assert replied.status_code == 201 and replied.json()["from_staff"] is True
    mine = resident.get(f"/api/v1/my/feedback/{row.pk}/").json()
    assert mine["status"] == "answered" and mine["replies"][0]["body"] == "已安排电工今天修好"

    follow_up = resident.post(f"/api/v1/my/feedback/{row.pk}/replies/", {"body": "还是不亮"}, format="json")
    assert follow_up.status_code == 201
    assert resident.get(f"/api/v1/my/feedback/{row.pk}/").json()["status"] == "open"  # waiting for staff again
    manager.post(f"/api/v1/manage/feedback/{row.pk}/replies/", {"body": "换了灯管, 已亮"}, format="json")
    rated = resident.post(f"/api/v1/my/feedback/{row.pk}/rate/", {"rating": 5, "comment": "很快"}, format="json")
    assert rated.json()["status"] == "closed" and rated.json()["rating"] == 5
    closed = resident.post(f"/api/v1/my/feedback/{row.pk}/replies/", {"body": "谢谢"}, format="json")
    assert closed.status_code == 409


def test_a_department_category_reaches_only_that_department(district, client_for, make_user):
    fire = FeedbackCategoryFactory(route_to=FeedbackCategory.Route.DEPARTMENT, department=Department.FIRE)
    resident = client_for(district.users[Role.RESIDENT])
    row_id = ask(resident, fire).json()["id"]
    fire_inspector = client_for(district.users[Role.INSPECTOR])  # the fixture's inspector is fire
    police = client_for(make_user(Role.INSPECTOR, department=Department.POLICE))
    assert [f["id"] for f in fire_inspector.get("/api/v1/manage/feedback/").json()["results"]] == [row_id]
    assert police.get("/api/v1/manage/feedback/").json()["results"] == []
    refused = police.post(f"/api/v1/manage/feedback/{row_id}/replies/", {"body": "x"}, format="json")
    assert refused.status_code == 404
    # a question about a block from someone with no tenancy goes to the street instead of nobody
    pm = FeedbackCategoryFactory(route_to=FeedbackCategory.Route.PROPERTY_MANAGER)
    assert ask(resident, pm).json()["route_label"] == "街道"


def test_overdue_threads_escalate_to_the_street_once(district, living_in_mine, client_for):
    category = FeedbackCategoryFactory(response_hours=2)
    resident = client_for(district.users[Role.RESIDENT])
    late_id = ask(resident, category).json()["id"]
    fresh_id = ask(resident, category, title="新问题").json()["id"]
    Feedback.objects.filter(pk=late_id).update(due_at=timezone.now() - timedelta(minutes=1))
    heard = []
    feedback_escalated.connect(lambda **kw: heard.append(kw["feedback_id"]), weak=False, dispatch_uid="test-escalated")
    try:
        from django.test.utils import CaptureQueriesContext  # noqa: F401

        assert escalate_overdue() == [late_id]
        assert escalate_overdue() == []  # never twice
    finally:
        feedback_escalated.disconnect(dispatch_uid="test-escalated")
    late = Feedback.objects.get(pk=late_id)
    assert late.escalated_at is not None and Feedback.objects.get(pk=fresh_id).escalated_at is None
    street = client_for(district.users[Role.STREET_ADMIN])
    assert [f["id"] for f in street.get("/api/v1/manage/feedback/?overdue=true").json()["results"]] == [late_id]


def test_the_public_board_shows_answered_threads_and_hides_anonymous_authors(district, living_in_mine, client_for):
    category = FeedbackCategoryFactory()
    resident = client_for(district.users[Role.RESIDENT])
    anonymous_id = ask(resident, category, is_anonymous=True).json()["id"]
    named_id = ask(resident, category, title="named").json()["id"]
    private_id = ask(resident, category, title="private", is_public=False).json()["id"]
    manager = client_for(district.users[Role.PROPERTY_MANAGER])
    board = client_for()
    assert board.get("/api/v1/feedback-board/").json()["results"] == []  # nothing answered yet
    for pk in (anonymous_id, named_id, private_id):
        manager.post(f"/api/v1/manage/feedback/{pk}/replies/", {"body": "已处理"}, format="json")
    rows = {r["id"]: r for r in board.get("/api/v1/feedback-board/").json()["results"]}
    assert set(rows) == {anonymous_id, named_id}
    assert rows[anonymous_id]["author"] == "匿名居民"
    assert rows[named_id]["author"] == "张*花"
    thread = board.get(f"/api/v1/feedback-board/{anonymous_id}/").json()
    assert thread["replies"][0]["body"] == "已处理" and "张" not in str(thread)


def test_invalid_feedback_gets_field_errors_and_bad_photos_a_clear_400(district, client_for):
    resident = client_for(district.users[Role.RESIDENT])
    category = FeedbackCategoryFactory()
    empty = resident.post("/api/v1/my/feedback/", {"category": category.pk}, format="multipart")
    assert empty.status_code == 400 and {"title", "body"} <= set(empty.json()["errors"])
    import io

    fake = io.BytesIO(b"%PDF-1.4 not an image")
    fake.name = "scan.jpg"
    bad = ask(resident, category, photos=[fake])
    assert bad.status_code == 400
    assert "photos" in bad.json()["errors"] and "scan.jpg" in bad.json()["message"]
    assert not Feedback.objects.exists()  # nothing half-saved
    staff = client_for(district.users[Role.PROPERTY_MANAGER])
    assert ask(staff, category).status_code == 403
    assert client_for().post("/api/v1/my/feedback/", {}, format="json").status_code in (401, 403)
