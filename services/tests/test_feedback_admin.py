"""Street staff answer a resident's question in the admin (not only a superuser)."""

from __future__ import annotations

import pytest

from accounts.models import Role
from services.factories import FeedbackCategoryFactory
from services.feedback import feedback_submit
from services.models import FeedbackCategory, FeedbackReply

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("role", [Role.STREET_ADMIN])
def test_street_staff_see_the_thread_and_reply_in_the_admin(client, make_user, role):
    resident = make_user(Role.RESIDENT)
    category = FeedbackCategoryFactory(route_to=FeedbackCategory.Route.STREET)
    thread = feedback_submit(by=resident, category=category, kind="question", title="社保怎么转", body="从安徽转来")
    staff = make_user(role, is_staff=True)
    client.force_login(staff)
    url = f"/admin/services/feedback/{thread.pk}/change/"
    page = client.get(url)
    assert page.status_code == 200 and 'name="replies-0-body"' in page.content.decode()
    form = {
        "status": thread.status,
        "replies-TOTAL_FORMS": "1",
        "replies-INITIAL_FORMS": "0",
        "replies-MIN_NUM_FORMS": "0",
        "replies-MAX_NUM_FORMS": "1000",
        "replies-0-body": "请带身份证到街道社保窗口办理",
        "photos-TOTAL_FORMS": "0",
        "photos-INITIAL_FORMS": "0",
        "photos-MIN_NUM_FORMS": "0",
        "photos-MAX_NUM_FORMS": "1000",
    }
    response = client.post(url, form)
    assert response.status_code == 302, response.content.decode()[:2000]
    reply = FeedbackReply.objects.get(feedback=thread)
    assert reply.author == staff and reply.from_staff


def test_a_grid_worker_reads_but_cannot_reply(client, make_user):
    resident = make_user(Role.RESIDENT)
    category = FeedbackCategoryFactory(route_to=FeedbackCategory.Route.STREET)
    thread = feedback_submit(by=resident, category=category, kind="question", title="t", body="b")
    client.force_login(make_user(Role.GRID_WORKER, is_staff=True))
    page = client.get(f"/admin/services/feedback/{thread.pk}/change/")
    assert 'name="replies-0-body"' not in page.content.decode()
