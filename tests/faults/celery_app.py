"""The project's Celery app for the fault-test workers, with the redelivery sweep made quick.

Kombu's Redis transport hands a dead worker's unacknowledged tasks out again only in its restore sweep, which
runs every ``unacked_restore_interval * unacked_restore_throttle`` seconds (10 × 10 = 100 s by default) on top of
the visibility timeout. Production keeps those defaults; the tests shorten both so a redelivery shows in seconds.
Start with ``celery -A tests.faults.celery_app worker``.
"""

from __future__ import annotations

import os

from shijiao.celery import app

app.conf.broker_transport_options = {
    **(app.conf.broker_transport_options or {}),
    "visibility_timeout": int(os.environ.get("CELERY_VISIBILITY_TIMEOUT", "8")),
    "unacked_restore_interval": 1,
    "unacked_restore_throttle": 1,
}

__all__ = ["app"]
