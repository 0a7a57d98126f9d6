from __future__ import annotations

import io

import pytest
from PIL import Image

from shijiao.images import ImageRejected, clean_image


def jpeg_with_exif(size=(64, 48)) -> bytes:
    image = Image.new("RGB", size, (200, 30, 30))
    exif = Image.Exif()
    exif[0x010F] = "CameraMaker"  # Make
    exif[0x0132] = "2026:11:25 10:00:00"  # DateTime
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif)
    return out.getvalue()


def test_it_strips_exif_and_makes_a_thumbnail():
    cleaned = clean_image(jpeg_with_exif(), name="hazard.jpg", thumbnail_size=32)
    assert b"CameraMaker" not in cleaned.content.read()
    again = Image.open(io.BytesIO(cleaned.content.open().read()))
    assert not again.getexif()
    thumb = Image.open(io.BytesIO(cleaned.thumbnail.read()))
    assert max(thumb.size) == 32 and (cleaned.width, cleaned.height) == (64, 48)


def test_it_refuses_a_file_that_is_not_an_image():
    with pytest.raises(ImageRejected, match="不是有效的图片"):
        clean_image(b"%PDF-1.4 not a photo")


def test_it_refuses_a_decompression_bomb(settings):
    settings.IMAGE_MAX_PIXELS = 10_000
    out = io.BytesIO()
    Image.new("L", (4000, 4000)).save(out, format="PNG")  # tiny file, 16 million pixels
    with pytest.raises(ImageRejected, match="像素过多"):
        clean_image(out.getvalue())


def test_it_refuses_a_huge_file(settings):
    settings.IMAGE_MAX_BYTES = 1000
    with pytest.raises(ImageRejected, match="图片过大"):
        clean_image(jpeg_with_exif((400, 400)) + b"\0" * 2000)


def test_it_refuses_gif():
    out = io.BytesIO()
    Image.new("P", (10, 10)).save(out, format="GIF")
    with pytest.raises(ImageRejected, match="JPEG"):
        clean_image(out.getvalue())
