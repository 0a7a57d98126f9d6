"""找工作: an enterprise posts, the street reviews, residents find and apply, the enterprise answers."""

from __future__ import annotations

import pytest

from accounts.models import AuditEntry, Role
from apartments.factories import EnterpriseFactory
from services.factories import JobPostingFactory
from services.models import JobApplication, JobPosting

pytestmark = pytest.mark.django_db

NEW_JOB = {
    "title": "电子装配工",
    "wage_min": 5000,
    "wage_max": 7000,
    "working_hours": "两班倒",
    "location": "新华路6号",
    "benefits": "五险一金, 包吃住",
    "dormitory_provided": True,
    "contact_name": "王经理",
    "contact_phone": "0571-88886666",
}


@pytest.fixture
def company(district):
    enterprise = EnterpriseFactory(name="杭州新华服饰有限公司")
    enterprise.staff.add(district.users[Role.ENTERPRISE])
    return enterprise


def test_the_whole_flow_from_posting_to_an_invitation(district, company, client_for):
    boss = client_for(district.users[Role.ENTERPRISE])
    street = client_for(district.users[Role.STREET_ADMIN])
    resident = client_for(district.users[Role.RESIDENT])
    public = client_for()

    posted = boss.post("/api/v1/enterprise/jobs/", {**NEW_JOB, "enterprise": company.pk}, format="json")
    assert posted.status_code == 201, posted.json()
    job_id = posted.json()["id"]
    assert posted.json()["status"] == "pending"
    assert public.get("/api/v1/jobs/").json()["results"] == []  # not before review

    assert [j["id"] for j in street.get("/api/v1/review/jobs/").json()["results"]] == [job_id]
    decided = street.post(f"/api/v1/review/jobs/{job_id}/decide/", {"approve": True}, format="json")
    assert decided.status_code == 200 and decided.json()["status"] == "published"

    listed = public.get("/api/v1/jobs/?search=装配&dormitory=true").json()["results"]
    assert [j["id"] for j in listed] == [job_id]
    assert listed[0]["enterprise"] == "杭州新华服饰有限公司"
    assert public.get(f"/api/v1/jobs/{job_id}/").json()["contact_phone"] == "0571-88886666"

    applied = resident.post(f"/api/v1/jobs/{job_id}/apply/", {"phone": "19900000123", "name": "李四"}, format="json")
    assert applied.status_code == 201, applied.json()
    again = resident.post(f"/api/v1/jobs/{job_id}/apply/", {"phone": "19900000123", "name": "李四"}, format="json")
    assert again.status_code == 409 and again.json()["code"] == "already_applied"
    assert resident.get("/api/v1/my/job-applications/").json()["results"][0]["job"]["id"] == job_id

    seen = boss.get("/api/v1/enterprise/applications/").json()["results"]
    assert seen[0]["phone"] == "199****0123" and seen[0]["name"] == "李四"
    contact = boss.get(f"/api/v1/enterprise/applications/{seen[0]['id']}/contact/")
    assert contact.json() == {"phone": "19900000123"}
    assert AuditEntry.objects.filter(action="pii.read", target_type="services.JobApplication").count() == 1
    invited = boss.post(
        f"/api/v1/enterprise/applications/{seen[0]['id']}/status/", {"status": "invited"}, format="json"
    )
    assert invited.json()["status"] == "invited"
    assert resident.get("/api/v1/my/job-applications/").json()["results"][0]["status"] == "invited"


def test_a_rejection_needs_a_reason_and_an_edit_goes_back_to_review(district, company, client_for):
    street = client_for(district.users[Role.STREET_ADMIN])
    job = JobPostingFactory(enterprise=company, status=JobPosting.Status.PENDING, published_at=None)
    refused = street.post(f"/api/v1/review/jobs/{job.pk}/decide/", {"approve": False}, format="json")
    assert refused.status_code == 400 and refused.json()["code"] == "note_required"
    rejected = street.post(
        f"/api/v1/review/jobs/{job.pk}/decide/", {"approve": False, "note": "工资不明确"}, format="json"
    )
    assert rejected.json()["status"] == "rejected" and rejected.json()["review_note"] == "工资不明确"
    boss = client_for(district.users[Role.ENTERPRISE])
    edited = boss.patch(f"/api/v1/enterprise/jobs/{job.pk}/", {"wage_min": 6000, "wage_max": 7000}, format="json")
    assert edited.status_code == 200 and edited.json()["status"] == "pending"


def test_a_published_job_edited_leaves_the_public_list_until_reviewed(district, company, client_for):
    job = JobPostingFactory(enterprise=company)
    public = client_for()
    assert len(public.get("/api/v1/jobs/").json()["results"]) == 1  # now cached
    client_for(district.users[Role.ENTERPRISE]).patch(
        f"/api/v1/enterprise/jobs/{job.pk}/", {"title": "新岗位"}, format="json"
    )
    assert public.get("/api/v1/jobs/").json()["results"] == []  # the cache was dropped on change


def test_roles_that_may_not_do_it_are_refused(district, company, client_for):
    job = JobPostingFactory(enterprise=company, status=JobPosting.Status.PENDING)
    resident = client_for(district.users[Role.RESIDENT])
    boss = client_for(district.users[Role.ENTERPRISE])
    assert (
        resident.post("/api/v1/enterprise/jobs/", {**NEW_JOB, "enterprise": company.pk}, format="json").status_code
        == 403
    )
    assert boss.post(f"/api/v1/review/jobs/{job.pk}/decide/", {"approve": True}, format="json").status_code == 403
    assert client_for().post(f"/api/v1/jobs/{job.pk}/apply/", {"phone": "19900000001"}, format="json").status_code in (
        401,
        403,
    )
    # an enterprise account posting for a company it does not belong to
    other = EnterpriseFactory()
    response = boss.post("/api/v1/enterprise/jobs/", {**NEW_JOB, "enterprise": other.pk}, format="json")
    assert response.status_code == 403 and response.json()["code"] == "not_your_enterprise"
    # staff cannot apply as residents; pending jobs cannot be applied to
    assert (
        resident.post(
            f"/api/v1/jobs/{job.pk}/apply/", {"phone": "19900000001", "name": "甲"}, format="json"
        ).status_code
        == 409
    )


def test_other_enterprises_do_not_see_applications(district, company, client_for, make_user):
    job = JobPostingFactory(enterprise=company)
    JobApplication.objects.create(job=job, applicant=district.users[Role.RESIDENT], name="李四", phone="19900000001")
    stranger = make_user(Role.ENTERPRISE)
    EnterpriseFactory().staff.add(stranger)
    assert client_for(stranger).get("/api/v1/enterprise/applications/").json()["results"] == []


def test_invalid_postings_get_field_errors(district, company, client_for):
    boss = client_for(district.users[Role.ENTERPRISE])
    bad = {**NEW_JOB, "enterprise": company.pk, "wage_min": 8000, "wage_max": 5000, "title": ""}
    response = boss.post("/api/v1/enterprise/jobs/", bad, format="json")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid" and {"title"} <= set(body["errors"])
    response = boss.post(
        "/api/v1/enterprise/jobs/", {**NEW_JOB, "enterprise": company.pk, "wage_max": 100}, format="json"
    )
    assert response.status_code == 400 and "wage_max" in response.json()["errors"]
    assert not JobPosting.objects.exists()


def test_the_public_list_pages_with_a_cursor_and_no_count(district, company, client_for):
    for _ in range(25):
        JobPostingFactory(enterprise=company)
    first = client_for().get("/api/v1/jobs/").json()
    assert len(first["results"]) == 20 and "count" not in first and first["next"]
    second = client_for().get(first["next"]).json()
    assert len(second["results"]) == 5 and second["next"] is None
