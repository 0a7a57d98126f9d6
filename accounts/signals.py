"""What accounts announces to higher apps (which may link the account to their own records)."""

from __future__ import annotations

from django.dispatch import Signal

# Sent after a resident logs in through the API: user=User, method=str, phone=str ("" when unknown), created=bool.
resident_signed_in = Signal()
