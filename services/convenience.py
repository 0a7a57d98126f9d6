"""便民: notices for one's block, repair requests to the property manager, the garbage-sorting guide."""

from __future__ import annotations

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Role, User
from services.models import Notice, RepairPhoto, RepairRequest
from services.residence import current_tenancy
from shijiao.errors import DomainError
from shijiao.images import CleanImage


def notices_for(apartment_id: int | None) -> QuerySet[Notice]:
    """Current notices of the whole sub-district, plus those of ``apartment_id`` when given."""
    now = timezone.now()
    where = Q(apartment__isnull=True)
    if apartment_id:
        where |= Q(apartment_id=apartment_id)
    return (
        Notice.objects.filter(where, published_at__lte=now)
        .filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now))
        .select_related("apartment")
    )


@transaction.atomic
def repair_submit(
    *, by: User, category: str, description: str, phone: str, photos: list[CleanImage] = ()
) -> RepairRequest:
    """A resident reports something broken in their room; it goes to their block's property manager."""
    if by.role != Role.RESIDENT:
        raise DomainError(_("请使用居民账号报修"), code="residents_only", status_code=403)
    tenancy = current_tenancy(by)
    if tenancy is None:
        raise DomainError(_("没有找到您的入住记录, 请先办理入住登记"), code="no_tenancy", status_code=409)
    repair = RepairRequest.objects.create(
        apartment=tenancy.room.apartment,
        room_number=tenancy.room.number,
        user=by,
        category=category,
        description=description.strip(),
        phone=phone,
    )
    for photo in photos:
        RepairPhoto.objects.create(
            repair=repair, image=photo.content, thumbnail=photo.thumbnail, width=photo.width, height=photo.height
        )
    return repair


def repair_update(*, repair: RepairRequest, by: User, status: str, reply: str = "") -> RepairRequest:
    if status not in RepairRequest.Status.values:
        raise DomainError(_("无效的维修状态"), code="invalid_status")
    if by.pk == repair.user_id and status != RepairRequest.Status.CANCELLED:
        raise DomainError(_("居民只能取消报修"), code="forbidden", status_code=403)
    repair.status = status
    repair.reply = reply.strip() or repair.reply
    repair.handled_by = by if by.pk != repair.user_id else repair.handled_by
    repair.resolved_at = timezone.now() if status == RepairRequest.Status.DONE else None
    repair.save()
    return repair
