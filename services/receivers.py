"""Listeners: cached public lists go stale on any change; a resident's new account finds their record."""

from __future__ import annotations

from django.db import transaction
from django.db.models.signals import post_delete, post_save

from accounts.signals import resident_signed_in
from apartments.models import Apartment, Enterprise, Room
from residents.models import Resident, Tenancy
from services import models as m
from services.cache import bump
from shijiao.pii import blind_index

# Which cached lists each model feeds (rentals show vacancy, so rooms and tenancies count too).
FEEDS = {
    m.JobPosting: ("jobs",),
    Enterprise: ("jobs",),
    m.RentalListing: ("rentals",),
    m.RentalPhoto: ("rentals",),
    Apartment: ("rentals", "notices"),
    Room: ("rentals",),
    Tenancy: ("rentals", "notices"),
    m.Clinic: ("clinics",),
    m.ClinicDepartment: ("clinics",),
    m.Article: ("articles",),
    m.Notice: ("notices",),
    m.GarbageItem: ("garbage",),
    m.FeedbackCategory: ("feedback-categories",),
    m.Feedback: ("board",),
    m.FeedbackReply: ("board",),
}


def _stale(sender, **_kwargs) -> None:
    namespaces = FEEDS[sender]
    bump(*namespaces)
    # Again after commit: a reader between the first bump and the commit may have cached the old rows.
    transaction.on_commit(lambda: bump(*namespaces), robust=True)


def link_resident(sender, *, user, phone: str = "", **_kwargs) -> None:
    """A resident who logs in by phone gets the resident record registered with that phone, if unclaimed."""
    if not phone or Resident.objects.filter(user=user).exists():
        return
    candidates = Resident.objects.filter(phone_hash=blind_index(phone), user__isnull=True)
    if candidates.count() == 1:
        candidates.update(user=user)


def connect() -> None:
    for model in FEEDS:
        post_save.connect(_stale, sender=model, dispatch_uid=f"services-stale-{model._meta.label}-save")
        post_delete.connect(_stale, sender=model, dispatch_uid=f"services-stale-{model._meta.label}-delete")
    resident_signed_in.connect(link_resident, dispatch_uid="services-link-resident")
