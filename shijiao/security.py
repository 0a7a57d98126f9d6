"""Content-Security-Policy for every page: scripts only from our own static files (or with this response's nonce).

Pages load ECharts and their own JS from /static/, talk to the API and WebSockets on the same origin, and
show camera streams from the video platform's origins (CSP_MEDIA_SRC). Inline event handlers are not allowed.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse


def build_policy(nonce: str) -> str:
    media = " ".join(["'self'", "blob:", *settings.CSP_MEDIA_SRC])
    directives = {
        "default-src": "'self'",
        "script-src": f"'self' 'nonce-{nonce}'",
        "style-src": "'self' 'unsafe-inline'",  # style attributes in templates carry no code
        "img-src": "'self' data: blob:",
        "font-src": "'self' data:",
        "connect-src": "'self' ws: wss:",
        "media-src": media,
        "frame-src": " ".join(["'self'", *settings.CSP_FRAME_SRC]),
        "frame-ancestors": "'self'",
        "object-src": "'none'",
        "base-uri": "'self'",
        "form-action": "'self'",
    }
    return "; ".join(f"{name} {value}" for name, value in directives.items())


class ContentSecurityPolicyMiddleware:
    """Adds the policy to HTML responses and gives templates ``request.csp_nonce`` for the rare inline script."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.csp_nonce = secrets.token_urlsafe(16)
        response = self.get_response(request)
        if response.get("Content-Type", "").startswith("text/html") and "Content-Security-Policy" not in response:
            header = "Content-Security-Policy-Report-Only" if settings.CSP_REPORT_ONLY else "Content-Security-Policy"
            response[header] = build_policy(request.csp_nonce)
        return response
