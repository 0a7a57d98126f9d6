"""What ingest tells higher apps (alerts, cockpit) without importing them.

``readings_stored``: sent once per committed batch with ``points=list[Point]``.
``device_status_changed``: sent when a device goes offline or comes back, with
``device_id``, ``online`` and ``at``.
"""

from __future__ import annotations

from django.dispatch import Signal

readings_stored = Signal()
device_status_changed = Signal()
