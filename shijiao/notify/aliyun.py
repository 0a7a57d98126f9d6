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
from datetime import UTC, datetime
from urllib.parse import quote

from shijiao.notify.http import HttpAnswer, request


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
