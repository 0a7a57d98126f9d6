"""Uploaded photos served by the application, each to whom may see it (with DEBUG=false too).

A rental's photos are public (they advertise the room); a repair's, a service request's and a feedback's only to
the resident who sent them and the staff who handle them; an inspection's or a hazard's only to staff who see that
inspection or hazard. Anything else under MEDIA_ROOT is not served. The file itself goes out through
``FileResponse`` (or, behind nginx, ``X-Accel-Redirect`` when MEDIA_ACCEL_REDIRECT is set: docs/deployment.md).
"""

from __future__ import annotations

import mimetypes
from pathlib import Path

from django.conf import settings
from django.core import signing
from django.db.models import Q
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.views.decorators.http import require_GET

from accounts.models import Role
from apartments.hazards import hazards_for
from apartments.inspections import inspections_for
from apartments.models import InspectionPhoto
from apartments.scoping import scope_queryset
from services import models as m
from services.feedback import feedback_for_staff

SALT = "services.media-link.v1"


def signed_url(name: str) -> str:
    """A link to ``name`` that works without a session for MEDIA_LINK_SECONDS: the API hands these to the resident's
    client (an ``<img>`` sends no bearer token), after checking, as for any row, that the user may see it."""
    stamp_and_signature = signing.TimestampSigner(salt=SALT).sign(name)[len(name) + 1 :]
    return f"{settings.MEDIA_URL}{name}?sig={stamp_and_signature}"


def _signature_ok(name: str, sig: str) -> bool:
    try:
        signing.TimestampSigner(salt=SALT).unsign(f"{name}:{sig}", max_age=settings.MEDIA_LINK_SECONDS)
    except signing.BadSignature:
        return False
    return True


def _by_file(model, name: str):
    return model.objects.filter(Q(image=name) | Q(thumbnail=name)).first()


def may_see(user, name: str) -> bool | None:
    """Whether ``user`` may see the uploaded file ``name``; None when no photo row has that file."""
    signed_in = user.is_authenticated and user.is_active
    if _by_file(m.RentalPhoto, name) is not None:
        return True
    photo = _by_file(m.RepairPhoto, name)
    if photo is not None:
        repair = photo.repair
        if not signed_in:
            return False
        return repair.user_id == user.pk or (
            user.has_role(Role.PROPERTY_MANAGER, Role.STREET_ADMIN)
            and scope_queryset(m.RepairRequest.objects.filter(pk=repair.pk), user).exists()
        )
    photo = _by_file(m.ServiceRequestPhoto, name)
    if photo is not None:
        return signed_in and (photo.request.user_id == user.pk or user.has_role(Role.STREET_ADMIN))
    photo = _by_file(m.FeedbackPhoto, name)
    if photo is not None:
        feedback = photo.feedback
        if feedback.is_public and feedback.first_response_at is not None:
            return True  # on the public board (FeedbackBoardViewSet shows the same threads)
        if not signed_in:
            return False
        return feedback.author_id == user.pk or feedback_for_staff(user).filter(pk=feedback.pk).exists()
    photo = _by_file(InspectionPhoto, name)
    if photo is not None:
        if not signed_in:
            return False
        if photo.hazard_id and hazards_for(user).filter(pk=photo.hazard_id).exists():
            return True
        if photo.rectification_id and hazards_for(user).filter(rectifications=photo.rectification_id).exists():
            return True
        return bool(photo.inspection_id) and inspections_for(user).filter(pk=photo.inspection_id).exists()
    return None


@require_GET
def serve_media(request: HttpRequest, name: str) -> HttpResponse:
    if ".." in name.split("/") or name.startswith("/"):
        raise Http404
    sig = request.GET.get("sig", "")
    allowed = (sig and _signature_ok(name, sig)) or may_see(request.user, name)
    if not allowed:
        raise Http404  # not found and not yours look the same: nobody learns which files exist
    path = Path(settings.MEDIA_ROOT) / name
    if settings.MEDIA_ACCEL_REDIRECT:
        response = HttpResponse(content_type=mimetypes.guess_type(name)[0] or "application/octet-stream")
        response["X-Accel-Redirect"] = f"{settings.MEDIA_ACCEL_REDIRECT.rstrip('/')}/{name}"
    else:
        if not path.is_file():
            raise Http404
        response = FileResponse(path.open("rb"))
    response["Cache-Control"] = "private, max-age=600" if sig else "private, no-store"
    return response
