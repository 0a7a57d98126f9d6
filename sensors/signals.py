"""What the sensors app announces to higher apps with a Django signal (stored readings and device transitions go
through sensors/hooks.py instead, the one extension point on a reading's path).

``device_command_closed``: sent with ``command`` (a ``DeviceCommand``) when a downlink command gets its one result
(succeeded, failed, timed out, undelivered), inside the transaction that records it: a listener's change commits or
rolls back with the result, and a duplicate answer sends nothing.
"""

from __future__ import annotations

from django.dispatch import Signal

device_command_closed = Signal()
