from __future__ import annotations

import io

import pytest
from django.core.cache import cache
from PIL import Image
from rest_framework.test import APIClient

from accounts.models import ApiToken
from accounts.tokens import token_issue


@pytest.fixture(autouse=True)
def _fresh_cache(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    cache.clear()  # throttle counters and cached lists start empty in every test
    yield


@pytest.fixture
def client_for():
    """An API client signed in as ``user`` with a real Bearer token (None: anonymous)."""

    def make(user=None) -> APIClient:
        client = APIClient()
        if user is not None:
            issued = token_issue(user=user, method=ApiToken.Method.PASSWORD)
            client.credentials(HTTP_AUTHORIZATION=f"Bearer {issued.access}")
        return client

    return make


def jpeg(size=(64, 48), exif: bool = False) -> io.BytesIO:
    image = Image.new("RGB", size, (200, 30, 30))
    out = io.BytesIO()
    if exif:
        info = Image.Exif()
        info[0x010F] = "PhoneMaker"  # Make
        info[0x0110] = "SecretModel"  # Model
        image.save(out, format="JPEG", exif=info.tobytes())
    else:
        image.save(out, format="JPEG")
    out.seek(0)
    out.name = "photo.jpg"
    return out
