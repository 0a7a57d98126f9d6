"""找住房: property managers post rentals; vacancy follows the real rooms and active tenancies."""

from __future__ import annotations

from django.db import transaction
from django.db.models import Count, Exists, F, IntegerField, OuterRef, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Role, User
from apartments.models import Room
from apartments.scoping import apartments_for
from residents.models import Tenancy
from services.models import Facility, RentalListing, RentalPhoto, SavedListing, ViewingRequest
from services.residence import display_name_of
from shijiao.errors import DomainError
from shijiao.images import clean_image


def with_vacancy(listings: QuerySet[RentalListing]) -> QuerySet[RentalListing]:
    """Annotate each listing with the beds and rooms of its kind in its block, and how many are free now."""
    rooms = Room.objects.filter(apartment=OuterRef("apartment"), kind=OuterRef("room_kind"))
    total_beds = rooms.order_by().values("apartment").annotate(n=Sum("capacity")).values("n")
    occupied = (
        Tenancy.objects.filter(
            check_out__isnull=True, room__apartment=OuterRef("apartment"), room__kind=OuterRef("room_kind")
        )
        .order_by()
        .values("room__apartment")
        .annotate(n=Count("id"))
        .values("n")
    )
    empty_rooms = (
        rooms.filter(~Exists(Tenancy.objects.filter(check_out__isnull=True, room=OuterRef("pk"))))
        .order_by()
        .values("apartment")
        .annotate(n=Count("id"))
        .values("n")
    )
    return listings.annotate(
        total_beds=Coalesce(Subquery(total_beds, output_field=IntegerField()), 0),
        occupied_beds=Coalesce(Subquery(occupied, output_field=IntegerField()), 0),
        vacant_rooms=Coalesce(Subquery(empty_rooms, output_field=IntegerField()), 0),
    ).annotate(vacant_beds=F("total_beds") - F("occupied_beds"))


def listings_managed_by(user: User) -> QuerySet[RentalListing]:
    return RentalListing.objects.filter(apartment__in=apartments_for(user).values("pk"))


def _check_facilities(facilities: list[str]) -> list[str]:
    unknown = [f for f in facilities if f not in Facility.values]
    if unknown:
        raise DomainError(_("未知的设施: %(f)s") % {"f": ", ".join(unknown)}, code="invalid_facility")
    return list(dict.fromkeys(facilities))


@transaction.atomic
def listing_create(*, by: User, apartment, **fields) -> RentalListing:
    if not apartments_for(by).filter(pk=apartment.pk).exists():
        raise DomainError(_("只能为本物业管理的公寓发布房源"), code="not_your_apartment", status_code=403)
    if not Room.objects.filter(apartment=apartment, kind=fields["room_kind"]).exists():
        raise DomainError(_("该公寓没有这种房型的房间"), code="no_such_rooms")
    fields["facilities"] = _check_facilities(fields.get("facilities") or [])
    return RentalListing.objects.create(apartment=apartment, created_by=by, **fields)


@transaction.atomic
def listing_update(*, listing: RentalListing, by: User, **fields) -> RentalListing:
    if "facilities" in fields:
        fields["facilities"] = _check_facilities(fields["facilities"] or [])
    if "apartment" in fields and not apartments_for(by).filter(pk=fields["apartment"].pk).exists():
        raise DomainError(_("只能为本物业管理的公寓发布房源"), code="not_your_apartment", status_code=403)
    for name, value in fields.items():
        setattr(listing, name, value)
    if not Room.objects.filter(apartment=listing.apartment, kind=listing.room_kind).exists():
        raise DomainError(_("该公寓没有这种房型的房间"), code="no_such_rooms")
    listing.save()
    return listing


@transaction.atomic
def listing_photo_add(*, listing: RentalListing, content: bytes, name: str) -> RentalPhoto:
    """Add a photo to a listing (checked and re-encoded; ImageRejected when it is not a usable image).

    Saving the photo makes the cached rental lists stale (services/receivers.py).
    """
    photo = clean_image(content, name=name)
    return RentalPhoto.objects.create(
        listing=listing, image=photo.content, thumbnail=photo.thumbnail, width=photo.width, height=photo.height
    )


def listing_save(*, listing: RentalListing, by: User) -> SavedListing:
    saved, _created = SavedListing.objects.get_or_create(user=by, listing=listing)
    return saved


def listing_unsave(*, listing: RentalListing, by: User) -> None:
    SavedListing.objects.filter(user=by, listing=listing).delete()


@transaction.atomic
def viewing_request(*, listing: RentalListing, by: User, preferred_time, phone: str, message: str = "", name: str = ""):
    if by.role != Role.RESIDENT:
        raise DomainError(_("请使用居民账号预约看房"), code="residents_only", status_code=403)
    if not listing.is_active:
        raise DomainError(_("该房源已下架"), code="listing_inactive", status_code=409)
    if preferred_time <= timezone.now():
        raise DomainError(_("看房时间应晚于现在"), code="time_in_past", field="preferred_time")
    name = (name or display_name_of(by)).strip()
    if not name:
        raise DomainError(_("请填写姓名"), code="name_required")
    return ViewingRequest.objects.create(
        listing=listing, user=by, name=name, preferred_time=preferred_time, phone=phone, message=message
    )


def viewing_answer(*, viewing: ViewingRequest, by: User, status: str, reply: str = "") -> ViewingRequest:
    allowed = {ViewingRequest.Status.CONFIRMED, ViewingRequest.Status.DONE, ViewingRequest.Status.CANCELLED}
    if status not in allowed:
        raise DomainError(_("状态只能是: 已约定、已看房、已取消"), code="invalid_status")
    viewing.status = status
    viewing.reply = reply
    viewing.save(update_fields=["status", "reply"])
    return viewing
