"""Refresh a block's figures soon after something happens to it in a lower app.

Lower apps announce with signals (they never import the cockpit); a burst of events
for one block schedules one refresh, a few seconds later.
"""

from __future__ import annotations

import threading

from django.conf import settings
from django.core.cache import cache
from django.db import close_old_connections, connection, transaction
from django.db.models.signals import post_save

from alerts.models import Alert
from apartments.models import Room
from apartments.signals import hazard_changed
from residents.models import ResidencePermit, ResidenceRegistration, Tenancy
from sensors import hooks
from sensors.models import Device
from services.models import Feedback

DEBOUNCE_SECONDS = 5
EAGER_DEBOUNCE_SECONDS = 1


def schedule_block_refresh(apartment_id: int | None) -> None:
    """Refresh ``apartment_id``'s figures after the current transaction commits (at most once per few seconds)."""
    if apartment_id is None:
        return
    eager = settings.CELERY_TASK_ALWAYS_EAGER
    # The first event of a burst schedules one refresh a little later that sees the whole burst; the rest of
    # the burst is dropped here. With a worker the refresh is a Celery task; in-process (embedded defaults)
    # it runs on a timer thread, beside the alarm's own push to the screens rather than ahead of it.
    delay = EAGER_DEBOUNCE_SECONDS if eager else DEBOUNCE_SECONDS
    if not cache.add(f"cockpit:refresh:{apartment_id}", 1, timeout=delay):
        return

    def queue() -> None:
        from cockpit.tasks import refresh_figures_task

        if eager:
            timer = threading.Timer(delay, _refresh_in_thread, args=(apartment_id,))
            timer.daemon = True
            timer.start()
            return
        refresh_figures_task.apply_async(kwargs={"apartment_ids": [apartment_id]}, countdown=delay)

    transaction.on_commit(queue, robust=True)


def _refresh_in_thread(apartment_id: int) -> None:
    from cockpit.tasks import refresh_figures_task

    try:
        refresh_figures_task.apply(kwargs={"apartment_ids": [apartment_id]})
    finally:
        close_old_connections()
        connection.close()


def on_device_status_changed(*, device_ids: list[int], online: bool, at, **kwargs) -> None:
    for apartment_id in set(Device.objects.filter(pk__in=device_ids).values_list("apartment_id", flat=True)):
        schedule_block_refresh(apartment_id)


def on_hazard_changed(sender, *, hazard_id: int, **kwargs) -> None:
    schedule_block_refresh(sender.objects.filter(pk=hazard_id).values_list("apartment_id", flat=True).first())


def on_row_saved(sender, instance, **kwargs) -> None:
    """An alarm, feedback thread, tenancy or registration was saved: refresh the block it belongs to."""
    apartment_id = getattr(instance, "apartment_id", None)
    if apartment_id is None:
        tenancy = getattr(instance, "tenancy", None) if hasattr(instance, "tenancy_id") else instance
        room_id = getattr(tenancy, "room_id", None)
        if room_id is not None:
            apartment_id = Room.objects.filter(pk=room_id).values_list("apartment_id", flat=True).first()
    schedule_block_refresh(apartment_id)


# Rows of other apps whose saving changes a block's figures.
WATCHED = [Alert, Feedback, Tenancy, ResidenceRegistration, ResidencePermit]


def connect() -> None:
    hooks.on_device_status("cockpit figures", on_device_status_changed)
    hazard_changed.connect(on_hazard_changed, dispatch_uid="cockpit.hazard_changed")
    for model in WATCHED:
        post_save.connect(
            on_row_saved, sender=model, dispatch_uid=f"cockpit.saved.{model._meta.app_label}.{model.__name__}"
        )
