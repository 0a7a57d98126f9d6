"""Tell open cockpit screens that figures changed (best effort: a screen also refreshes every minute)."""

from __future__ import annotations

import logging

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.utils import timezone

from cockpit.consumers import GROUP

log = logging.getLogger(__name__)


def announce_figures_updated(*, apartment_ids: list[int] | None) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    event = {"type": "figures.updated", "blocks": apartment_ids or [], "at": timezone.now().isoformat()}
    try:
        async_to_sync(layer.group_send)(GROUP, event)
    except Exception:  # the screen polls anyway; a push failure must not fail the refresh
        log.warning("cockpit push failed", exc_info=True)
