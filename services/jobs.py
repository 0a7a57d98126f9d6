"""找工作: enterprises post openings, the street reviews them, residents apply, enterprises answer."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Role, User
from apartments.models import Enterprise
from services.models import JobApplication, JobPosting
from services.residence import display_name_of
from shijiao.errors import DomainError

# Fields an enterprise may set; changing any of them on a published job sends it back to review.
EDITABLE_FIELDS = (
    "title",
    "description",
    "wage_min",
    "wage_max",
    "working_hours",
    "location",
    "benefits",
    "dormitory_provided",
    "headcount",
    "contact_name",
    "contact_phone",
)


def enterprises_of(user: User) -> QuerySet[Enterprise]:
    if user.is_superuser or user.role == Role.STREET_ADMIN:
        return Enterprise.objects.all()
    return Enterprise.objects.filter(staff=user)


def jobs_managed_by(user: User) -> QuerySet[JobPosting]:
    return JobPosting.objects.filter(enterprise__in=enterprises_of(user).values("pk"))


def _check_wages(wage_min: int, wage_max: int) -> None:
    if wage_max < wage_min:
        raise DomainError(_("月薪上限不能低于下限"), code="invalid_wage_range")


@transaction.atomic
def job_submit(*, by: User, enterprise: Enterprise, **fields) -> JobPosting:
    """An enterprise posts an opening; it waits for the street's review before residents see it."""
    if not enterprises_of(by).filter(pk=enterprise.pk).exists():
        raise DomainError(_("只能为本企业发布岗位"), code="not_your_enterprise", status_code=403)
    _check_wages(fields["wage_min"], fields["wage_max"])
    values = {k: v for k, v in fields.items() if k in EDITABLE_FIELDS}
    return JobPosting.objects.create(enterprise=enterprise, created_by=by, status=JobPosting.Status.PENDING, **values)


@transaction.atomic
def job_update(*, job: JobPosting, by: User, **fields) -> JobPosting:
    job = JobPosting.objects.select_for_update().get(pk=job.pk)
    if job.status == JobPosting.Status.CLOSED:
        raise DomainError(_("岗位已关闭, 不能修改"), code="job_closed")
    for name, value in fields.items():
        if name in EDITABLE_FIELDS:
            setattr(job, name, value)
    _check_wages(job.wage_min, job.wage_max)
    job.status = JobPosting.Status.PENDING  # the street reviews every change before residents see it
    job.published_at = None
    job.save()
    return job


@transaction.atomic
def job_review(*, job: JobPosting, by: User, approve: bool, note: str = "") -> JobPosting:
    """The street publishes or rejects a pending opening."""
    if not by.has_role(Role.STREET_ADMIN):
        raise DomainError(_("只有街道可以审核岗位"), code="forbidden", status_code=403)
    job = JobPosting.objects.select_for_update().get(pk=job.pk)
    if job.status != JobPosting.Status.PENDING:
        raise DomainError(_("该岗位不在待审核状态"), code="not_pending", status_code=409)
    if not approve and not note.strip():
        raise DomainError(_("不通过时请写明原因, 企业据此修改"), code="note_required", field="note")
    now = timezone.now()
    job.status = JobPosting.Status.PUBLISHED if approve else JobPosting.Status.REJECTED
    job.review_note = note.strip()
    job.reviewed_by, job.reviewed_at = by, now
    job.published_at = now if approve else None
    job.save()
    return job


def job_close(*, job: JobPosting, by: User) -> JobPosting:
    job.status = JobPosting.Status.CLOSED
    job.save(update_fields=["status", "updated_at"])
    return job


@transaction.atomic
def job_apply(*, job: JobPosting, by: User, phone: str, message: str = "", name: str = "") -> JobApplication:
    """A resident applies once to a published opening; the enterprise sees the application."""
    if by.role != Role.RESIDENT:
        raise DomainError(_("请使用居民账号投递"), code="residents_only", status_code=403)
    if job.status != JobPosting.Status.PUBLISHED:
        raise DomainError(_("该岗位已停止招聘"), code="job_not_open", status_code=409)
    name = (name or display_name_of(by)).strip()
    if not name:
        raise DomainError(_("请填写姓名"), code="name_required")
    try:
        with transaction.atomic():
            return JobApplication.objects.create(job=job, applicant=by, name=name, phone=phone, message=message)
    except IntegrityError:
        raise DomainError(_("您已投递过该岗位"), code="already_applied", status_code=409) from None


ENTERPRISE_STATUSES = {JobApplication.Status.VIEWED, JobApplication.Status.INVITED, JobApplication.Status.REJECTED}


def application_set_status(*, application: JobApplication, by: User, status: str) -> JobApplication:
    if status not in ENTERPRISE_STATUSES:
        raise DomainError(_("状态只能是: 已查看、邀请面试、不合适"), code="invalid_status")
    if application.status == JobApplication.Status.WITHDRAWN:
        raise DomainError(_("求职者已撤回申请"), code="withdrawn", status_code=409)
    application.status = status
    application.save(update_fields=["status", "updated_at"])
    return application


def application_withdraw(*, application: JobApplication, by: User) -> JobApplication:
    if application.applicant_id != by.pk:
        raise DomainError(_("只能撤回自己的申请"), code="forbidden", status_code=403)
    application.status = JobApplication.Status.WITHDRAWN
    application.save(update_fields=["status", "updated_at"])
    return application
