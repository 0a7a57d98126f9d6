"""The public page a phone opens when it scans a permit's QR code."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

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
