"""社保 / 子女入学 / 法律援助: a resident submits a request under a guide and follows its status."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import Role, User
from services.models import Article, ServiceRequest, ServiceRequestPhoto
from services.residence import display_name_of
from shijiao.errors import DomainError
from shijiao.images import CleanImage


@transaction.atomic
def service_request_submit(
    *,
    by: User,
    article: Article,
    details: str,
    phone: str,
    provided: list[str] = (),
    name: str = "",
    photos: list[CleanImage] = (),
) -> ServiceRequest:
    """Submit the request a guide offers; the checklist records which documents the resident has."""
    if by.role != Role.RESIDENT:
        raise DomainError(_("请使用居民账号申请"), code="residents_only", status_code=403)
    if not article.is_published or not article.request_kind:
        raise DomainError(_("该事项不支持在线申请"), code="no_online_request", status_code=409)
    unknown = [d for d in provided if d not in article.documents]
    if unknown:
        raise DomainError(_("材料不在清单中: %(d)s") % {"d": "、".join(unknown)}, code="invalid_document")
    name = (name or display_name_of(by)).strip()
    if not name:
        raise DomainError(_("请填写姓名"), code="name_required")
    request = ServiceRequest.objects.create(
        module=article.module,
        article=article,
        kind=article.request_kind,
        user=by,
        name=name,
        phone=phone,
        details=details.strip(),
        documents=[{"name": d, "provided": d in provided} for d in article.documents],
    )
    for photo in photos:
        ServiceRequestPhoto.objects.create(
            request=request, image=photo.content, thumbnail=photo.thumbnail, width=photo.width, height=photo.height
        )
    return request


def service_request_handle(*, request: ServiceRequest, by: User, status: str, note: str = "") -> ServiceRequest:
    """Staff accept, ask for more documents, finish or refuse a request (with a note the resident reads)."""
    if status not in ServiceRequest.Status.values or status == ServiceRequest.Status.SUBMITTED:
        raise DomainError(_("无效的办理状态"), code="invalid_status")
    if status in (ServiceRequest.Status.NEED_MORE, ServiceRequest.Status.REJECTED) and not note.strip():
        raise DomainError(_("请写明需要补充的材料或不予受理的原因"), code="note_required", field="reply")
    request.status, request.staff_note, request.handled_by = status, note.strip(), by
    request.save(update_fields=["status", "staff_note", "handled_by", "updated_at"])
    return request
