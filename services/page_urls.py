"""The mobile web (H5) client of the resident flows: one page that talks to /api/v1/ like the mini-program."""

from __future__ import annotations

from django.conf import settings
from django.urls import path
from django.views.decorators.cache import never_cache
from django.views.generic import TemplateView

from services.media import serve_media

app_name = "h5"
urlpatterns = [
    path(
        "h5/",
        never_cache(
            TemplateView.as_view(
                template_name="h5/index.html", extra_context={"sub_district": settings.DEMO_SUB_DISTRICT}
            )
        ),
        name="index",
    ),
    # Uploaded photos, each to whom may see it (services/media.py); the same with DEBUG on or off.
    path(f"{settings.MEDIA_URL.strip('/')}/<path:name>", serve_media, name="media"),
]
