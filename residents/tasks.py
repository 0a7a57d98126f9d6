"""Periodic jobs of the residents app (schedule in settings: CELERY_BEAT_SCHEDULE)."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="residents.purge_face_data")
def purge_face_data() -> dict[str, int]:
    """Delete face data past its retention (checked-out residents, visitor snapshots)."""
    from residents.faces import purge_expired_face_data

    return purge_expired_face_data()


@shared_task(name="residents.purge_personal_data")
def purge_personal_data() -> dict[str, int]:
    """Anonymise residents who left more than RESIDENT_RETENTION_DAYS ago (residents.retention)."""
    from residents.retention import purge_expired_personal_data

    return purge_expired_personal_data()


@shared_task(name="residents.deliver_notice")
def deliver_notice(notice_id: int) -> None:
    """Push one notice (WeChat subscription message, SMS fallback)."""
    from residents.notices import notice_deliver

    notice_deliver(notice_id)


@shared_task(name="residents.remind_registrations")
def remind_registrations() -> dict[str, int]:
    """Registration deadline reminders (resident → property → grid worker), and notices whose push was lost."""
    from residents.notices import deliver_pending
    from residents.registration import registration_remind

    sent = registration_remind()
    sent["redelivered"] = deliver_pending()
    return sent


@shared_task(name="residents.notify_face_enrolled")
def notify_face_enrolled(enrolment_id: int) -> str:
    """Tell a person at once that staff enrolled their face, with the one-tap withdrawal link."""
    from residents.faces import face_enrolment_notify

    enrolment = face_enrolment_notify(enrolment_id)
    return enrolment.notice_status if enrolment else "withdrawn"
