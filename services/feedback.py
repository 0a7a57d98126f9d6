"""咨询留言、反馈问题: residents ask or report; the right department or manager answers before a deadline.

Routing follows the category: the block's property manager, a functional department, or the street. A thread
waiting for staff past its deadline is escalated to the street (``escalate_overdue``, run by Celery beat).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Role, User
from apartments.scoping import apartments_for
from services.models import Feedback, FeedbackCategory, FeedbackPhoto, FeedbackReply
from services.residence import display_name_of, home_apartment
from services.signals import feedback_escalated
from shijiao.errors import DomainError
from shijiao.images import CleanImage

log = logging.getLogger(__name__)


def feedback_for_staff(user: User) -> QuerySet[Feedback]:
    """The threads a staff member answers: routed to them, or (the street) everything."""
    qs = Feedback.objects.all()
    if not user.is_authenticated or not user.is_active:
        return qs.none()
    if user.is_superuser or user.role == Role.STREET_ADMIN:
        return qs
    if user.role == Role.PROPERTY_MANAGER:
        return qs.filter(
            route_to=FeedbackCategory.Route.PROPERTY_MANAGER, apartment__in=apartments_for(user).values("pk")
        )
    if user.role == Role.INSPECTOR and user.department:
        return qs.filter(route_to=FeedbackCategory.Route.DEPARTMENT, department=user.department)
    if user.role == Role.GRID_WORKER:
        return qs.filter(apartment__in=apartments_for(user).values("pk"))
    return qs.none()


def may_answer(user: User, feedback: Feedback) -> bool:
    if user.role == Role.GRID_WORKER and not user.is_superuser:
        return False  # grid workers follow their blocks' threads but do not answer for others
    return feedback_for_staff(user).filter(pk=feedback.pk).exists()


def _add_photos(feedback: Feedback, photos: list[CleanImage]) -> None:
    for photo in photos:
        FeedbackPhoto.objects.create(
            feedback=feedback, image=photo.content, thumbnail=photo.thumbnail, width=photo.width, height=photo.height
        )


@transaction.atomic
def feedback_submit(
    *,
    by: User,
    category: FeedbackCategory,
    kind: str,
    title: str,
    body: str,
    is_public: bool = True,
    is_anonymous: bool = False,
    apartment=None,
    photos: list[CleanImage] = (),
) -> Feedback:
    """A resident asks or reports; the thread is routed and gets its answer deadline."""
    if by.role != Role.RESIDENT:
        raise DomainError(_("请使用居民账号留言"), code="residents_only", status_code=403)
    if not category.is_active:
        raise DomainError(_("该类别已停用, 请另选"), code="category_inactive")
    feedback = Feedback(
        author=by,
        author_name=display_name_of(by),
        kind=kind,
        title=title.strip(),
        body=body.strip(),
        is_public=is_public,
        is_anonymous=is_anonymous,
        apartment=apartment or home_apartment(by),
    )
    feedback.route(category)
    if feedback.route_to == FeedbackCategory.Route.PROPERTY_MANAGER and feedback.apartment is None:
        # Nobody's block: the street answers rather than nobody.
        feedback.route_to = FeedbackCategory.Route.STREET
    feedback.save()
    _add_photos(feedback, list(photos))
    return feedback


@transaction.atomic
def feedback_reply(*, feedback: Feedback, by: User, body: str, now: datetime | None = None) -> FeedbackReply:
    """Add a reply. Staff answering stops the clock; the resident following up restarts it."""
    now = now or timezone.now()
    feedback = Feedback.objects.select_for_update().select_related("category").get(pk=feedback.pk)
    if feedback.status == Feedback.Status.CLOSED:
        raise DomainError(_("该留言已办结, 如有新问题请重新留言"), code="closed", status_code=409)
    body = body.strip()
    if not body:
        raise DomainError(_("回复内容不能为空"), code="empty_reply")
    from_staff = by.pk != feedback.author_id
    if from_staff and not may_answer(by, feedback):
        raise DomainError(_("该留言不归您答复"), code="forbidden", status_code=403)
    reply = FeedbackReply.objects.create(feedback=feedback, author=by, from_staff=from_staff, body=body)
    if from_staff:
        feedback.status = Feedback.Status.ANSWERED
        feedback.first_response_at = feedback.first_response_at or now
    else:
        if feedback.status == Feedback.Status.ANSWERED:
            feedback.status = Feedback.Status.OPEN
            feedback.due_at = now + timedelta(hours=feedback.category.response_hours)
            feedback.escalated_at = None
    feedback.save()
    return reply


@transaction.atomic
def feedback_rate(*, feedback: Feedback, by: User, rating: int, comment: str = "") -> Feedback:
    """The resident rates the answer; rating closes the thread."""
    feedback = Feedback.objects.select_for_update().get(pk=feedback.pk)
    if feedback.author_id != by.pk:
        raise DomainError(_("只能评价自己的留言"), code="forbidden", status_code=403)
    if feedback.first_response_at is None:
        raise DomainError(_("还没有答复, 暂不能评价"), code="not_answered", status_code=409)
    if not 1 <= rating <= 5:
        raise DomainError(_("评分为 1 到 5 分"), code="invalid_rating")
    feedback.rating, feedback.rating_comment = rating, comment.strip()
    feedback.status = Feedback.Status.CLOSED
    feedback.save()
    return feedback


def feedback_close(*, feedback: Feedback, by: User) -> Feedback:
    if by.pk != feedback.author_id and not may_answer(by, feedback):
        raise DomainError(_("该留言不归您处理"), code="forbidden", status_code=403)
    feedback.status = Feedback.Status.CLOSED
    feedback.save(update_fields=["status", "updated_at"])
    return feedback


def overdue(now: datetime | None = None) -> QuerySet[Feedback]:
    """Threads waiting for staff past their deadline that the street has not been told about."""
    now = now or timezone.now()
    return Feedback.objects.filter(status=Feedback.Status.OPEN, due_at__lt=now, escalated_at__isnull=True)


def escalate_overdue(*, now: datetime | None = None) -> list[int]:
    """Escalate every overdue thread to the street; returns their ids. Safe to run concurrently."""
    now = now or timezone.now()
    escalated: list[int] = []
    for pk in overdue(now).values_list("pk", flat=True):
        with transaction.atomic():
            # Conditional update: two beat runs never escalate the same thread twice.
            done = Feedback.objects.filter(
                Q(pk=pk), Q(escalated_at__isnull=True), Q(status=Feedback.Status.OPEN)
            ).update(escalated_at=now)
            if done:
                escalated.append(pk)
                transaction.on_commit(
                    lambda pk=pk: feedback_escalated.send(sender=Feedback, feedback_id=pk, at=now), robust=True
                )
    if escalated:
        log.info("escalated %d overdue feedback threads to the street", len(escalated))
    return escalated
