"""WebSocket routes of every app that pushes (alarms, cockpit)."""

from __future__ import annotations

from alerts.routing import websocket_urlpatterns as alerts_ws
from cockpit.routing import websocket_urlpatterns as cockpit_ws

websocket_urlpatterns = [*alerts_ws, *cockpit_ws]
