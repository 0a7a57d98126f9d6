"""Fixtures for the inspection tests: the default checklists, uploads in a temporary media root, photos."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from apartments.checklists import install_default_checklists


@pytest.fixture
def checklists(db):
    # Transactional tests elsewhere flush the rows the data migration installed; put them back.
    install_default_checklists()


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def make_jpeg(width: int = 64, height: int = 48, *, exif: bool = False, color=(200, 40, 40)) -> bytes:
    image = Image.new("RGB", (width, height), color)
    out = io.BytesIO()
    if exif:
        data = Image.Exif()
        data[0x010F] = "PhoneMaker"  # Make
        data[0x0132] = "2026:05:01 10:00:00"  # DateTime
        image.save(out, format="JPEG", exif=data)
    else:
        image.save(out, format="JPEG")
    return out.getvalue()


@pytest.fixture
def jpeg():
    return make_jpeg
