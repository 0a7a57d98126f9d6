"""Content-Security-Policy for every page: scripts only from our own static files (or with this response's nonce).

Pages load ECharts and their own JS from /static/, talk to the API and WebSockets on the same origin, and
play camera streams from the video platform's origins: those of the registered cameras (an app adds a source with
``add_media_origins``) plus CSP_MEDIA_SRC. hls.js and mpegts.js fetch the stream (connect-src) and feed it to the
<video> through Media Source Extensions (media-src blob:); a browser's own HLS player loads it as media-src.
Inline event handlers are not allowed.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

_media_origin_sources: list[Callable[[], Iterable[str]]] = []


def add_media_origins(source: Callable[[], Iterable[str]]) -> None:
    """Register a function returning origins that pages play media from (the alerts app: its cameras)."""
    if source not in _media_origin_sources:
        _media_origin_sources.append(source)


def media_origins() -> list[str]:
    """CSP_MEDIA_SRC and every registered source's origins, each once, in a stable order."""
    origins = dict.fromkeys(settings.CSP_MEDIA_SRC)
    for source in _media_origin_sources:
        origins.update(dict.fromkeys(sorted(source())))
    return list(origins)


def build_policy(nonce: str) -> str:
    streams = media_origins()
    media = " ".join(["'self'", "blob:", *streams])
    directives = {
        "default-src": "'self'",
        "script-src": f"'self' 'nonce-{nonce}'",
        "style-src": "'self' 'unsafe-inline'",  # style attributes in templates carry no code
        "img-src": " ".join(["'self'", "data:", "blob:", *getattr(settings, "CSP_IMG_SRC", [])]),
        "font-src": "'self' data:",
        "connect-src": " ".join(["'self'", "ws:", "wss:", *streams]),
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
