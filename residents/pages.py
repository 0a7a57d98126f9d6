"""The public page a phone opens when it scans a permit's QR code."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from residents.permits import permit_verify
from shijiao.api import DomainError


def permit_verify_page(request: HttpRequest, token: str) -> HttpResponse:
    """Masked name, validity and status; nothing else about the person."""
    try:
        result = permit_verify(token)
        error = ""
    except DomainError as exc:
        result, error = None, str(exc.detail)
    response = render(
        request,
        "residents/permit_verify.html",
        {"result": result, "error": error, "checked_at": timezone.localtime()},
        status=200 if result else 400 if error != "查无此居住证" else 404,
    )
    response["Cache-Control"] = "no-store"  # a revocation must show at the next scan
    response["Referrer-Policy"] = "no-referrer"
    return response
