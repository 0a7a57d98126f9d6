"""The one small HTTP helper every notification client uses (stdlib only, explicit timeouts)."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any

from django.conf import settings


@dataclass
class HttpAnswer:
    """What came back: the status, the parsed JSON body (``{}`` when not JSON), the raw text."""

    status: int
    body: dict[str, Any]
    text: str


class TransportError(Exception):
    """The service could not be reached or answered with a server error: worth retrying later."""


def request(
    method: str,
    url: str,
    *,
    json_body: Any = None,
    data: bytes | None = None,
    headers: dict[str, str] | None = None,
    timeout: float | None = None,
) -> HttpAnswer:
    """Send one request; 5xx and network failures raise TransportError, 4xx come back as answers."""
    all_headers = {"User-Agent": "ezhiban-notify/1.0", **(headers or {})}
    if json_body is not None:
        data = json.dumps(json_body, ensure_ascii=False).encode()
        all_headers.setdefault("Content-Type", "application/json; charset=utf-8")
    req = urllib.request.Request(url, data=data, method=method, headers=all_headers)
    seconds = timeout if timeout is not None else settings.NOTIFY_HTTP_TIMEOUT
    try:
        with urllib.request.urlopen(req, timeout=seconds) as response:
            return _answer(response.status, response.read())
    except urllib.error.HTTPError as exc:
        answer = _answer(exc.code, exc.read() if exc.fp else b"")
        if exc.code >= 500:
            raise TransportError(f"HTTP {exc.code}: {answer.text[:200]}") from None
        return answer
    except OSError as exc:  # URLError, timeouts and refused connections are all OSError
        reason = getattr(exc, "reason", exc)
        raise TransportError(f"无法连接 {url.split('?')[0]}: {reason}") from None


def _answer(status: int, raw: bytes) -> HttpAnswer:
    text = raw.decode("utf-8", errors="replace")
    try:
        body = json.loads(text) if text else {}
    except ValueError:
        body = {}
    if not isinstance(body, dict):
        body = {"data": body}
    return HttpAnswer(status=status, body=body, text=text)
