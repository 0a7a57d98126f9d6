"""The public page a phone opens when it scans a permit's QR code."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from residents import faces
from residents.permits import permit_verify
from shijiao.errors import DomainError


def permit_verify_page(request: HttpRequest, token: str) -> HttpResponse:
    """Masked name, validity and status; nothing else about the person."""
    try:
        result, error, status = permit_verify(token), "", 200
    except DomainError as exc:
        result, error, status = None, exc.message, exc.status_code
    response = render(
        request,
        "residents/permit_verify.html",
        {"result": result, "error": error, "checked_at": timezone.localtime()},
        status=status,
    )
    response["Cache-Control"] = "no-store"  # a revocation must show at the next scan
    response["Referrer-Policy"] = "no-referrer"
    return response


def face_withdraw_page(request: HttpRequest, token: str) -> HttpResponse:
    """The page the notice's link opens: one button withdraws the consent and deletes the face at once.

    GET only shows the button (link previews and scanners must not withdraw); the tap POSTs."""
    done, error, status = None, "", 200
    try:
        resident = faces.resident_of_withdraw_token(token)
        if request.method == "POST":
            done = faces.consent_withdraw(resident=resident, by=None, request=request)
        elif not resident.face_consents.filter(withdrawn_at__isnull=True).exists():
            done = 0
    except DomainError as exc:
        error, status = exc.message, exc.status_code
    response = render(request, "residents/face_withdraw.html", {"done": done, "error": error}, status=status)
    response["Cache-Control"] = "no-store"
    response["Referrer-Policy"] = "no-referrer"
    return response
