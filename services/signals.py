"""What services announces (higher apps such as cockpit may listen)."""

from __future__ import annotations

from django.dispatch import Signal

# A consultation or feedback thread passed its answer deadline and went to the street: feedback_id=int, at=datetime.
feedback_escalated = Signal()
