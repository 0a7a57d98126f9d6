"""What ingest tells higher apps (alerts, cockpit) without importing them.

``readings_stored``: sent once per committed batch with ``points=list[Point]`` (the newly stored ones).
``readings_repeated``: sent with the points of a batch that were stored before (a redelivery after a crash, or
a device sending twice). A worker that died between storing a batch and acting on it leaves its task
unacknowledged; the broker delivers it again and this signal lets idempotent listeners (the alarm rules) finish.
``device_status_changed``: sent when a device goes offline or comes back, with
``device_id``, ``online`` and ``at``.
"""

from __future__ import annotations

from django.dispatch import Signal

readings_stored = Signal()
readings_repeated = Signal()
device_status_changed = Signal()
