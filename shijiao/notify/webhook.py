"""Generic webhook: a JSON POST signed with HMAC-SHA256 so the receiver can trust it.

Headers: ``X-Ezhiban-Timestamp`` (Unix seconds), ``X-Ezhiban-Signature: sha256=<hex>`` over
``"<timestamp>.<body>"`` with the shared secret, ``Idempotency-Key`` (the same on every retry, so the
receiver can drop a duplicate). 2xx is success; 408, 429 and 5xx are retried; other 4xx are not.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time

from shijiao.notify.http import TransportError, request
from shijiao.notify.result import SendResult


def sign(secret: str, timestamp: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


def post_json(*, url: str, secret: str, payload: dict, idempotency_key: str) -> SendResult:
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
    timestamp = str(int(time.time()))
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "X-Ezhiban-Timestamp": timestamp,
        "X-Ezhiban-Signature": sign(secret, timestamp, body),
        "Idempotency-Key": idempotency_key,
    }
    try:
        answer = request("POST", url, data=body, headers=headers)
    except TransportError as exc:
        return SendResult.unreachable(str(exc))
    if 200 <= answer.status < 300:
        return SendResult(ok=True, code=str(answer.status))
    return SendResult(
        ok=False, code=str(answer.status), message=answer.text[:200], retryable=answer.status in (408, 429)
    )
