"""HTTP authentication and ACL for the MQTT broker (EMQX HTTP auth/authz, mosquitto-go-auth HTTP backend).

``POST /api/v1/mqtt/auth`` (username, password) and ``POST /api/v1/mqtt/acl`` (username, topic, action) answer
``200 {"result": "allow"}`` or ``403 {"result": "deny"}``. Only the broker may ask: it sends the shared secret
``MQTT_AUTH_SECRET`` (environment) in the ``X-Broker-Secret`` header; without it every answer is deny.

A device logs in with its key as username and its access token as password (native and Alink), or with its
token as username (ThingsBoard). It may publish only its own topics and subscribe only its own command topic.
The ingest consumer's service account (``MQTT_INGEST_USERNAME`` / ``MQTT_INGEST_PASSWORD``) may do anything.
"""

from __future__ import annotations

import hmac
import json
import os

from django.http import HttpRequest, JsonResponse
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.csrf import csrf_exempt

from sensors.auth import device_for_token
from sensors.models import Device

PUBLISH, SUBSCRIBE = "publish", "subscribe"
# mosquitto-go-auth sends "acc": 1 read, 2 write, 3 read+write, 4 subscribe
GO_AUTH_ACCESS = {"1": SUBSCRIBE, "2": PUBLISH, "3": PUBLISH, "4": SUBSCRIBE}


def _env(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def _field(request: HttpRequest, name: str) -> str:
    if request.content_type == "application/json":
        try:
            body = json.loads(request.body or b"{}")
        except ValueError:
            return ""
        value = body.get(name, "") if isinstance(body, dict) else ""
        return str(value)[:512]
    return str(request.POST.get(name, ""))[:512]


def _from_broker(request: HttpRequest) -> bool:
    secret = _env("MQTT_AUTH_SECRET")
    given = request.headers.get("X-Broker-Secret", "")
    return bool(secret) and hmac.compare_digest(secret.encode(), given.encode())


def _is_service(username: str, password: str | None = None) -> bool:
    account = _env("MQTT_INGEST_USERNAME", "shijiao-ingest")
    if username != account:
        return False
    if password is None:
        return True
    expected = _env("MQTT_INGEST_PASSWORD")
    return bool(expected) and hmac.compare_digest(expected.encode(), password.encode())


def _answer(allowed: bool) -> JsonResponse:
    return JsonResponse(
        {"result": "allow" if allowed else "deny", "is_superuser": False}, status=200 if allowed else 403
    )


def device_login(username: str, password: str) -> Device | None:
    """The device that may log in with these credentials: key + token, or a ThingsBoard token as username."""
    device = device_for_token(password)
    if device is not None and username == device.key:
        return device
    if not password:
        return device_for_token(username)  # ThingsBoard: the token is the username, no password
    return None


def _device_for_username(username: str) -> Device | None:
    device = Device.objects.filter(key=username, is_enabled=True).exclude(token_hash="").first()
    return device or device_for_token(username)


def topics_of(device: Device, thingsboard: bool) -> tuple[set[str], set[str]]:
    """(may publish, may subscribe) for a device; ``+`` stands for one topic level (a command id)."""
    if thingsboard:
        return {"v1/devices/me/telemetry", "v1/devices/me/rpc/response/+"}, {"v1/devices/me/rpc/request/+"}
    key = device.key
    publish = {f"shijiao/{key}/telemetry", f"shijiao/{key}/heartbeat", f"shijiao/{key}/command/result"}
    subscribe = {f"shijiao/{key}/command"}
    if device.alink_product_key:
        base = f"/sys/{device.alink_product_key}/{key}/thing"
        publish |= {f"{base}/event/property/post", f"{base}/service/+"}
        subscribe |= {f"{base}/service/+"}
    return publish, subscribe


def _matches(pattern: str, topic: str) -> bool:
    p, t = pattern.split("/"), topic.split("/")
    return len(p) == len(t) and all(
        a == b or (a == "+" and b and "#" not in b and "+" not in b) for a, b in zip(p, t, strict=True)
    )


def may(device: Device, thingsboard: bool, topic: str, action: str) -> bool:
    publish, subscribe = topics_of(device, thingsboard)
    allowed = publish if action == PUBLISH else subscribe
    return any(_matches(pattern, topic) for pattern in allowed)


@method_decorator(csrf_exempt, name="dispatch")
class AuthView(View):
    """``POST /api/v1/mqtt/auth``: may this username/password connect?"""

    http_method_names = ["post"]

    def post(self, request: HttpRequest) -> JsonResponse:
        return auth(request)


@method_decorator(csrf_exempt, name="dispatch")
class AclView(View):
    """``POST /api/v1/mqtt/acl``: may this username publish to / subscribe to this topic?"""

    http_method_names = ["post"]

    def post(self, request: HttpRequest) -> JsonResponse:
        return acl(request)


def auth(request: HttpRequest) -> JsonResponse:
    if not _from_broker(request):
        return _answer(False)
    username, password = _field(request, "username"), _field(request, "password")
    if _is_service(username, password):
        return _answer(True)
    device = device_login(username, password)
    client_id = _field(request, "clientid")
    if device is not None and not password and client_id and client_id != device.key:
        # A ThingsBoard device is mounted under tb/<client id>/ and gets its RPC requests there: under any other
        # client id its readings would carry a wrong identity and its commands never reach it.
        return _answer(False)
    return _answer(device is not None)


def acl(request: HttpRequest) -> JsonResponse:
    if not _from_broker(request):
        return _answer(False)
    username, topic = _field(request, "username"), _field(request, "topic")
    action = _field(request, "action") or GO_AUTH_ACCESS.get(_field(request, "acc"), "")
    if action not in (PUBLISH, SUBSCRIBE) or not topic:
        return _answer(False)
    if _is_service(username):
        return _answer(True)
    device = _device_for_username(username)
    if device is None:
        return _answer(False)
    return _answer(may(device, thingsboard=device.key != username, topic=topic, action=action))
