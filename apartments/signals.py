"""What apartments announces to higher apps (alerts, cockpit), which listen without being imported here."""

from __future__ import annotations

from django.dispatch import Signal

# Sent after the commit of every step of a hazard's life:
# hazard_changed.send(sender=Hazard, hazard_id=int, action=str, status=str)
# action is a HazardEvent.Action value: created, rectified, returned, closed, escalated, reassigned.
hazard_changed = Signal()
