"""Photos of inspections: validated by content, EXIF stripped, thumbnailed; bad files refused in plain words."""

from __future__ import annotations

import io
import struct
import zlib

import pytest
from PIL import Image

from accounts.models import Role
from apartments.inspections import inspection_add_photo, inspection_start
from apartments.models import InspectionKind, InspectionPhoto
from shijiao.images import ImageRejected

pytestmark = pytest.mark.django_db


@pytest.fixture
def inspection(district, checklists, media):
    return inspection_start(
        apartment=district.mine, kind=InspectionKind.PATROL, inspector=district.users[Role.GRID_WORKER]
    )


def add(inspection, data, name="photo.jpg"):
    worker = inspection.inspector
    return inspection_add_photo(
        inspection=inspection, by=worker, data=data, name=name, result=inspection.results.first()
    )


def test_it_keeps_a_photo_without_exif_and_with_a_thumbnail(inspection, jpeg):
    raw = jpeg(1200, 900, exif=True)
    assert Image.open(io.BytesIO(raw)).getexif()  # the phone's photo has EXIF
    photo = add(inspection, raw, "IMG_0001.jpg")
    stored = Image.open(photo.image.open("rb"))
    assert not stored.getexif()
    assert (photo.width, photo.height) == (1200, 900)
    thumb = Image.open(photo.thumbnail.open("rb"))
    assert max(thumb.size) == 320
    assert photo.image.name.startswith("inspections/") and photo.result == inspection.results.first()


def test_it_refuses_a_file_that_is_not_an_image(inspection):
    with pytest.raises(ImageRejected, match="文件不是有效的图片"):
        add(inspection, b"MZ\x90\x00 this is an exe renamed to jpg", "virus.jpg")
    assert not InspectionPhoto.objects.exists()


def test_it_refuses_a_decompression_bomb(inspection):
    # A 70-byte PNG whose header claims 30000×30000 pixels (900 million): gigabytes once decoded.
    out = io.BytesIO()
    Image.new("L", (1, 1)).save(out, format="PNG")
    png = bytearray(out.getvalue())
    png[16:24] = struct.pack(">II", 30000, 30000)  # IHDR width, height
    png[29:33] = struct.pack(">I", zlib.crc32(bytes(png[12:29])))  # IHDR checksum
    with pytest.raises(ImageRejected, match="像素过多"):
        add(inspection, bytes(png), "bomb.png")
    assert not InspectionPhoto.objects.exists()


def test_it_refuses_a_huge_file(inspection, settings):
    settings.IMAGE_MAX_BYTES = 100_000
    big = io.BytesIO()
    Image.effect_noise((800, 800), 100).convert("RGB").save(big, format="PNG")
    assert len(big.getvalue()) > 100_000
    with pytest.raises(ImageRejected, match="图片过大"):
        add(inspection, big.getvalue(), "big.png")
    assert not InspectionPhoto.objects.exists()


def test_it_refuses_an_empty_upload(inspection):
    with pytest.raises(ImageRejected, match="图片为空"):
        add(inspection, b"", "empty.jpg")
