"""Thousands of generated uploads: every one is either a clean image or a clear refusal, never a crash."""

from __future__ import annotations

import io

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from shijiao.images import CleanImage, ImageRejected, clean_image
from tests.fuzz.conftest import examples

FORMATS = ["JPEG", "PNG", "WEBP", "GIF", "BMP", "TIFF"]


def encode(fmt: str, width: int, height: int, mode: str) -> bytes:
    image = Image.new(mode, (width, height), 128)
    out = io.BytesIO()
    if fmt == "JPEG" and mode not in ("RGB", "L", "CMYK"):
        image = image.convert("RGB")
    image.save(out, format=fmt)
    return out.getvalue()


@settings(max_examples=examples(600), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=4096))
def test_random_bytes_are_refused_clearly(data: bytes):
    try:
        result = clean_image(data)
    except ImageRejected as exc:
        assert str(exc)
    else:
        assert isinstance(result, CleanImage)


@settings(max_examples=examples(150), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    fmt=st.sampled_from(FORMATS),
    width=st.integers(1, 300),
    height=st.integers(1, 300),
    mode=st.sampled_from(["RGB", "RGBA", "L", "P", "1"]),
    cut=st.integers(0, 400),
    flip=st.integers(0, 4000),
)
def test_real_and_damaged_images_are_cleaned_or_refused(fmt, width, height, mode, cut, flip):
    data = bytearray(encode(fmt, width, height, mode))
    if flip < len(data):
        data[flip] ^= 0xFF  # a damaged byte
    if cut:
        data = data[:-cut] if cut < len(data) else data[:1]
    try:
        result = clean_image(bytes(data))
    except ImageRejected as exc:
        assert str(exc)
    else:
        assert fmt in {"JPEG", "PNG", "WEBP"}
        assert result.width >= 1 and result.height >= 1
        assert result.thumbnail.size > 0
