"""Photos of inspections, their items, hazards and rectifications: checked, EXIF stripped, with a thumbnail."""

from __future__ import annotations

from accounts.models import User
from apartments.models import Hazard, Inspection, InspectionPhoto, InspectionResult, Rectification
from shijiao.images import clean_image


def photo_add(
    *,
    data: bytes,
    name: str,
    by: User,
    inspection: Inspection | None = None,
    result: InspectionResult | None = None,
    hazard: Hazard | None = None,
    rectification: Rectification | None = None,
) -> InspectionPhoto:
    """Store a validated photo (EXIF stripped, with thumbnail); raises ImageRejected for a bad file."""
    clean = clean_image(data, name=name)
    photo = InspectionPhoto(
        inspection=inspection,
        result=result,
        hazard=hazard,
        rectification=rectification,
        width=clean.width,
        height=clean.height,
        uploaded_by=by,
    )
    photo.image.save(clean.content.name, clean.content, save=False)
    photo.thumbnail.save(clean.thumbnail.name, clean.thumbnail, save=False)
    photo.save()
    return photo
