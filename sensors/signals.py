"""What ingest tells higher apps (alerts, cockpit) without importing them.

``readings_stored``: sent once per committed batch with ``points=list[Point]`` (the newly stored ones).
``readings_repeated``: sent with the points of a batch that were stored before (a redelivery after a crash, or
a device sending twice). A worker that died between storing a batch and acting on it leaves its task
unacknowledged; the broker delivers it again and this signal lets idempotent listeners (the alarm rules) finish.
``device_status_changed``: sent when devices go offline or come back, once per transition batch, with
``device_ids`` (a list), ``online`` and ``at``. A block's power returning brings hundreds of devices back in one
batch: listeners get them together and can act with a few queries instead of a few per device.
``device_command_closed``: sent with ``command`` (a ``DeviceCommand``) when a downlink command gets its one result
(succeeded, failed, timed out, undelivered), inside the transaction that records it: a listener's change commits or
rolls back with the result, and a duplicate answer sends nothing.
"""

from __future__ import annotations

from django.dispatch import Signal

readings_stored = Signal()
readings_repeated = Signal()
device_status_changed = Signal()
device_command_closed = Signal()
