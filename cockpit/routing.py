from __future__ import annotations

from django.urls import path

from cockpit.consumers import CockpitConsumer

websocket_urlpatterns: list = [
    path("ws/cockpit/", CockpitConsumer.as_asgi()),
]
