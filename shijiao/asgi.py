"""ASGI entry point: HTTP through Django, WebSockets through Channels (the three alarm ends)."""

from __future__ import annotations

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shijiao.settings")

from django.core.asgi import get_asgi_application

from shijiao.startup import check_services, run_guarded

django_asgi_app = run_guarded(get_asgi_application)
run_guarded(check_services)

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402

from shijiao.routing import websocket_urlpatterns  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": AllowedHostsOriginValidator(AuthMiddlewareStack(URLRouter(websocket_urlpatterns))),
    }
)
