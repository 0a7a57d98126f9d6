"""The language of a WebSocket: the same choice LocaleMiddleware makes for a page, from the handshake."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils import translation


def scope_language(scope: dict[str, Any]) -> str:
    """The language cookie of the handshake, else its Accept-Language, else LANGUAGE_CODE.

    Channels does not run LocaleMiddleware, so a consumer asks here and renders its labels
    inside ``translation.override(...)``.
    """
    request = HttpRequest()
    request.COOKIES = dict(scope.get("cookies") or {})
    for name, value in scope.get("headers") or []:
        if name == b"accept-language":
            request.META["HTTP_ACCEPT_LANGUAGE"] = value.decode("latin-1")
    return translation.get_language_from_request(request)
