"""What residents tell higher apps (alerts, cockpit, services) without importing them.

``suspicious_movement``: radar or elevator evidence (night loitering, tailgating, wrong floor); sent with
``apartment_id: int``, ``device_id: int | None``, ``kind: str`` (``loitering`` / ``tailgating`` /
``wrong_floor``), ``detail: dict`` and ``at: datetime``. The alerts app raises the alarm.

``registration_reminder``: a door let in a tenant whose residence registration is missing or overdue; sent
with ``resident_id: int``, ``apartment_id: int``, ``link: str`` (one-tap registration) and ``at: datetime``,
so the services app can push the prompt to the person's mini-program.

``access_decided``: every door / elevator decision, with ``event_id: int``, ``apartment_id: int``,
``decision: str`` and ``at: datetime`` (the cockpit counts them).
"""

from __future__ import annotations

from django.dispatch import Signal

suspicious_movement = Signal()
registration_reminder = Signal()
access_decided = Signal()
