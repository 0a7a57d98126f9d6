"""Alibaba Cloud RPC-style API calls (SMS, voice) with the HMAC-SHA1 signature (SignatureVersion 1.0).

StringToSign = ``GET&%2F&`` + percent-encode(canonical query), the canonical query being the
parameters sorted by name, each name and value percent-encoded (RFC 3986: space → %20,
``*`` → %2A, ``~`` kept); the key is the AccessKey secret followed by ``&``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import uuid
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from django.conf import settings

from shijiao.notify.http import HttpAnswer, TransportError, request

NETWORK_ERROR = "NetworkError"


def percent_encode(value: str) -> str:
    return quote(str(value), safe="~")


def canonical_query(params: dict[str, str]) -> str:
    return "&".join(f"{percent_encode(k)}={percent_encode(v)}" for k, v in sorted(params.items()))


def signature(params: dict[str, str], secret: str, method: str = "GET") -> str:
    """The ``Signature`` parameter for ``params`` (which must not contain Signature itself)."""
    string_to_sign = f"{method}&{percent_encode('/')}&{percent_encode(canonical_query(params))}"
    digest = hmac.new(f"{secret}&".encode(), string_to_sign.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def signed_params(
    *, action: str, version: str, access_key_id: str, secret: str, params: dict[str, str], region: str = "cn-hangzhou"
) -> dict[str, str]:
    """The common parameters plus ``params``, with the signature added."""
    all_params = {
        "AccessKeyId": access_key_id,
        "Action": action,
        "Format": "JSON",
        "RegionId": region,
        "SignatureMethod": "HMAC-SHA1",
        "SignatureNonce": uuid.uuid4().hex,
        "SignatureVersion": "1.0",
        "Timestamp": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "Version": version,
        **{k: str(v) for k, v in params.items()},
    }
    all_params["Signature"] = signature(all_params, secret)
    return all_params


def call(
    endpoint: str,
    *,
    action: str,
    version: str,
    access_key_id: str,
    secret: str,
    params: dict[str, str],
    region: str = "cn-hangzhou",
) -> HttpAnswer:
    """GET ``endpoint`` with the signed query; TransportError when unreachable or 5xx."""
    query = canonical_query(
        signed_params(
            action=action, version=version, access_key_id=access_key_id, secret=secret, params=params, region=region
        )
    )
    base = endpoint if endpoint.endswith("/") else endpoint + "/"
    return request("GET", f"{base}?{query}")


# Alibaba Cloud codes that mean "try again later" rather than "this request is wrong".
RETRYABLE_CODES = frozenset(
    {
        "isp.SYSTEM_ERROR",
        "isv.BUSINESS_LIMIT_CONTROL",
        "Throttling",
        "Throttling.User",
        "Throttling.Api",
        "ServiceUnavailable",
        "InternalError",
        "SignatureNonceUsed",
    }
)


@dataclass
class Reply:
    """What one Alibaba Cloud action answered: ``ok`` when its Code is "OK"."""

    ok: bool
    request_id: str = ""
    code: str = ""
    message: str = ""

    @property
    def retryable(self) -> bool:
        """Whether trying again later may help (network down, throttled, server error)."""
        return not self.ok and (self.code == NETWORK_ERROR or self.code in RETRYABLE_CODES)

    def fields(self) -> dict[str, Any]:
        return asdict(self)


def perform(endpoint: str, *, action: str, params: dict[str, str]) -> tuple[Reply, dict[str, Any]]:
    """Call ``action`` (API version 2017-05-25) with the project's AccessKey; never raises for a remote failure.

    Answers the reply and the answer's JSON body (empty when the network failed) for the action's own fields.
    """
    try:
        answer = call(
            endpoint,
            action=action,
            version="2017-05-25",
            access_key_id=settings.ALIYUN_ACCESS_KEY_ID,
            secret=settings.ALIYUN_ACCESS_KEY_SECRET,
            params=params,
        )
    except TransportError as exc:
        return Reply(ok=False, code=NETWORK_ERROR, message=str(exc)), {}
    body = answer.body
    code = str(body.get("Code", "") or f"HTTP{answer.status}")
    reply = Reply(
        ok=code == "OK",
        request_id=str(body.get("RequestId", "")),
        code=code,
        message=str(body.get("Message", "") or answer.text[:200]),
    )
    return reply, body
