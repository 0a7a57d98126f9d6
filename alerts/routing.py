from __future__ import annotations

from django.urls import path

from alerts.consumers import AlarmConsumer

websocket_urlpatterns: list = [path("ws/alerts/", AlarmConsumer.as_asgi())]
