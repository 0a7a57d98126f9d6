"""Uploaded photos: checked by content, limited in bytes and pixels, EXIF stripped, thumbnailed.

Used by every upload (hazard photos, repair requests, feedback, face enrolment). A bad file raises
``ImageRejected`` with a sentence the user can act on; it never becomes a 500.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

from django.conf import settings
from django.core.files.base import ContentFile
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

ALLOWED_FORMATS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp"}


class ImageRejected(ValueError):
    """The upload is not an acceptable photo; ``str(exc)`` says why, in the user's language."""


@dataclass(frozen=True)
class CleanImage:
    content: ContentFile  # re-encoded image without EXIF
    thumbnail: ContentFile  # JPEG, at most THUMBNAIL_SIZE on its longer side
    width: int
    height: int
    format: str  # "jpg" / "png" / "webp"


def max_bytes() -> int:
    return getattr(settings, "IMAGE_MAX_BYTES", 8 * 1024 * 1024)


def max_pixels() -> int:
    return getattr(settings, "IMAGE_MAX_PIXELS", 40_000_000)


def clean_image(data: bytes | io.IOBase, *, name: str = "photo", thumbnail_size: int = 320) -> CleanImage:
    """Validate an uploaded image and return it re-encoded without metadata, plus a thumbnail."""
    raw = data if isinstance(data, bytes) else data.read()
    if not raw:
        raise ImageRejected(_("图片为空"))
    if len(raw) > max_bytes():
        raise ImageRejected(
            _("图片过大 (%(size)d KB), 上限 %(limit)d KB") % {"size": len(raw) // 1024, "limit": max_bytes() // 1024}
        )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            probe = Image.open(io.BytesIO(raw))
            fmt = probe.format
            width, height = probe.size
            if fmt not in ALLOWED_FORMATS:
                raise ImageRejected(_("只接受 JPEG、PNG 或 WebP 图片"))
            if width * height > max_pixels():
                raise ImageRejected(_("图片像素过多 (%(w)d×%(h)d)") % {"w": width, "h": height})
            probe.verify()
            image = Image.open(io.BytesIO(raw))
            image.load()
    except ImageRejected:
        raise
    except (Image.DecompressionBombWarning, Image.DecompressionBombError):
        raise ImageRejected(_("图片像素过多, 疑似解压炸弹")) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise ImageRejected(_("文件不是有效的图片")) from None

    # Apply the camera's rotation, then drop every piece of metadata (EXIF: GPS, device, time).
    image = ImageOps.exif_transpose(image)
    ext = ALLOWED_FORMATS[fmt]
    if fmt == "JPEG" and image.mode not in ("RGB", "L"):
        image = image.convert("RGB")
    clean = Image.new(image.mode, image.size)
    clean.paste(image)
    out = io.BytesIO()
    clean.save(out, format=fmt, **({"quality": 88} if fmt in ("JPEG", "WEBP") else {}))

    thumb = clean.convert("RGB") if clean.mode not in ("RGB", "L") else clean.copy()
    thumb.thumbnail((thumbnail_size, thumbnail_size))
    thumb_out = io.BytesIO()
    thumb.save(thumb_out, format="JPEG", quality=80)
    stem = name.rsplit(".", 1)[0][:40] or "photo"
    return CleanImage(
        content=ContentFile(out.getvalue(), name=f"{stem}.{ext}"),
        thumbnail=ContentFile(thumb_out.getvalue(), name=f"{stem}.thumb.jpg"),
        width=clean.width,
        height=clean.height,
        format=ext,
    )
