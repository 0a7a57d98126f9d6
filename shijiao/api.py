"""What every API endpoint shares: one error shape, cursor pagination, opt-in throttles.

Errors always look like ``{"code": "...", "message": "...", "errors": {field: [...]}}``;
messages follow ``Accept-Language`` (Chinese by default, English on request).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.cache import cache as default_cache
from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache
from django.core.exceptions import PermissionDenied, RequestDataTooBig, SuspiciousOperation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.signals import got_request_exception
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.urls import URLResolver, include
from django.urls.resolvers import RoutePattern
from django.utils.translation import gettext as _
from rest_framework import exceptions, pagination, throttling
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter

from shijiao.errors import DomainError
from shijiao.images import ImageRejected


class _Refused(exceptions.APIException):
    """A DomainError on its way through DRF's handler (which sets the rollback and the status)."""

    def __init__(self, error: DomainError) -> None:
        super().__init__(detail=error.message, code=error.code)
        self.status_code = error.status_code
        self.error = error


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """The one API exception handler: every refusal becomes the JSON error envelope with its status."""
    if isinstance(exc, ImageRejected):
        exc = DomainError(str(exc), code="invalid_image")
    elif isinstance(exc, RequestDataTooBig):
        exc = DomainError(too_large_message(), code="payload_too_large", status_code=413)
    elif isinstance(exc, SuspiciousOperation):  # too many fields or files, a broken multipart body...
        exc = DomainError(_("请求格式有误, 无法处理"), code="bad_request")
    if isinstance(exc, DomainError):
        exc = _Refused(exc)
    elif isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(detail=exc.message_dict if hasattr(exc, "error_dict") else exc.messages)
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound(_("未找到"))
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    # Imported here: rest_framework.views loads the authentication classes, which import this module.
    from rest_framework.views import exception_handler as drf_exception_handler

    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    response.data = error_body(exc)
    return response


def error_body(exc: exceptions.APIException) -> dict[str, Any]:
    if isinstance(exc, _Refused):
        error = exc.error
        return {
            "code": error.code,
            "message": error.message,
            "errors": {error.field: [error.message]} if error.field else {},
        }
    if isinstance(exc, exceptions.ValidationError):
        detail = exc.detail
        if isinstance(detail, dict):
            errors = {field: _flatten(messages) for field, messages in detail.items()}
        else:
            errors = {"non_field_errors": _flatten(detail)}
        first = next(iter(errors.values()), [""])
        message = first[0] if first else _("请求数据有误")
        return {"code": "invalid", "message": message, "errors": errors}
    if isinstance(exc, exceptions.Throttled):
        wait = int(exc.wait or 0)
        message = _("请求太频繁, 请 %(s)d 秒后再试") % {"s": wait} if wait else _("请求太频繁, 请稍后再试")
        return {"code": "throttled", "message": message, "errors": {}, "retry_after": wait}
    codes = exc.get_codes()
    code = codes if isinstance(codes, str) else exc.default_code
    return {"code": code, "message": str(exc.detail), "errors": {}}


def too_large_message() -> str:
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE // (1024 * 1024)
    return _("请求体过大, 上限 %(mb)d MB; 照片请压缩后再上传") % {"mb": limit}


def _status_body(status_code: int) -> dict[str, Any]:
    """The envelope for an error that did not come from a DRF view (unknown path, server error, proxy limit)."""
    known = {
        400: ("bad_request", _("请求格式有误, 无法处理")),
        403: ("forbidden", _("无权访问")),
        404: ("not_found", _("未找到该接口或对象")),
        405: ("method_not_allowed", _("不支持该请求方法")),
        413: ("payload_too_large", too_large_message()),
        500: ("server_error", _("服务器内部错误, 已记录, 请稍后再试")),
    }
    code, message = known.get(status_code, (f"http_{status_code}", _("请求未能完成 (HTTP %(status)d)")))
    if status_code not in known:
        message = message % {"status": status_code}
    return {"code": code, "message": message, "errors": {}}


class ApiErrorMiddleware:
    """Every error under /api/ answers in the API's envelope, also those that never reach a DRF view: an unknown
    path (404), a body Django refuses before parsing (400/413), a CSRF failure (403), an unexpected exception
    (500, logged with its traceback; the client never sees it), in DEBUG as in production."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if request.path.startswith("/api/") and response.status_code >= 400 and not _is_json(response):
            response = _json_error(response.status_code, response)
        return response

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not request.path.startswith("/api/"):
            return None
        if isinstance(exception, RequestDataTooBig):
            return _json_error(413)
        if isinstance(exception, SuspiciousOperation):
            return _json_error(400)
        if isinstance(exception, (Http404, PermissionDenied)):
            return None  # Django's own answer (404/403), rewritten to the envelope in __call__
        logging.getLogger("django.request").error(
            "Internal Server Error: %s", request.path, exc_info=(type(exception), exception, exception.__traceback__)
        )
        got_request_exception.send(sender=None, request=request)  # error reporters (and the test client) hear it
        return _json_error(500)


def _is_json(response: HttpResponse) -> bool:
    return (response.get("Content-Type") or "").startswith("application/json")


def _json_error(status_code: int, original: HttpResponse | None = None) -> JsonResponse:
    response = JsonResponse(_status_body(status_code), status=status_code, json_dumps_params={"ensure_ascii": False})
    if original is not None and original.has_header("Allow"):
        response["Allow"] = original["Allow"]
    return response


def _flatten(messages: Any) -> list[str]:
    if isinstance(messages, (list, tuple)):
        out: list[str] = []
        for item in messages:
            out.extend(_flatten(item))
        return out
    if isinstance(messages, dict):
        return [f"{key}: {msg}" for key, value in messages.items() for msg in _flatten(value)]
    return [str(messages)]


class StrictPageSize:
    """``page_size`` must be a whole number from 1 to ``max_page_size`` (DRF quietly falls back on -5 or "abc")."""

    def get_page_size(self, request):
        raw = request.query_params.get(self.page_size_query_param) if self.page_size_query_param else None
        if raw is None:
            return self.page_size
        limit = self.max_page_size or 100
        if not raw.isdigit() or not 1 <= int(raw) <= limit:
            message = _("每页条数应为 1 到 %(n)d 之间的整数") % {"n": limit}
            raise exceptions.ValidationError({self.page_size_query_param: [message]})
        return int(raw)

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter.get("name") == self.page_size_query_param:
                parameter["schema"] = {"type": "integer", "minimum": 1, "maximum": self.max_page_size or 100}
        return parameters


class CursorPage(StrictPageSize, pagination.CursorPagination):
    """Newest first, no COUNT(*): the next/previous links carry an opaque cursor."""

    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100
    ordering = "-id"


class NumberedPage(StrictPageSize, pagination.PageNumberPagination):
    """Pages by number (``?page=2``), 20 rows unless ``page_size`` (1-100) says otherwise."""

    page_size_query_param = "page_size"
    max_page_size = 100


class Router(SimpleRouter):
    """A router whose detail routes match only whole numbers for ``pk``: ``rentals/abc/save/`` is a 404, not a 500."""

    def get_lookup_regex(self, viewset, lookup_prefix: str = "") -> str:
        if getattr(viewset, "lookup_value_regex", None) is None and getattr(viewset, "lookup_field", "pk") == "pk":
            viewset.lookup_value_regex = r"\d+"
        return super().get_lookup_regex(viewset, lookup_prefix)


class QuietResolver(URLResolver):
    """An include that lists the patterns it tried only when DEBUG shows them (Django's technical 404 page).

    The API's apps are included side by side under ``api/v1/``: a request for ``jobs/`` fails in five apps
    first, and each failure copied every pattern it tried into a list nobody reads in production (a tenth of
    an API request's CPU under load, py-spy).
    """

    @staticmethod
    def _extend_tried(tried, pattern, sub_tried=None) -> None:
        if settings.DEBUG:
            URLResolver._extend_tried(tried, pattern, sub_tried)


def api_include(route: str, urlconf, namespace: str | None = None) -> QuietResolver:
    """``path(route, include(urlconf, namespace))`` for the API, with a QuietResolver."""
    urlconf_module, app_name, namespace = include(urlconf, namespace)
    return QuietResolver(RoutePattern(route, is_endpoint=False), urlconf_module, app_name=app_name, namespace=namespace)


class WindowCount:
    """Count requests in fixed windows of the rate's duration: one INCR per request.

    DRF's throttles keep a list of every request time in the last window, read and written back whole on each
    request: its cost grows with the rate (at 400 requests a second from one address, 24,000 timestamps
    pickled twice per request). A fixed window may let up to twice the rate through across a window boundary;
    for flood protection that is fine.
    """

    def allow_request(self, request, view) -> bool:
        if self.rate is None:
            return True
        key = self.get_cache_key(request, view)
        if key is None:
            return True
        self.now = self.timer()
        window = int(self.now // self.duration)
        self.window_ends = (window + 1) * self.duration
        return self._count(f"{key}:{window}") <= self.num_requests

    def _count(self, key: str) -> int:
        backend = caches["default"] if self.cache is default_cache else self.cache  # the proxy hides the class
        if isinstance(backend, RedisCache):  # one round trip: INCR, and the expiry on the window's first
            full = backend.make_and_validate_key(key)
            client = backend._cache.get_client(full, write=True)
            count, _ = client.pipeline(transaction=False).incr(full).expire(full, self.duration + 1, nx=True).execute()
            return count
        try:
            return self.cache.incr(key)
        except ValueError:  # the window's first request
            self.cache.add(key, 0, timeout=self.duration + 1)
            return self.cache.incr(key)

    def wait(self) -> float:
        return max(0.0, self.window_ends - self.now)


class AnonThrottle(WindowCount, throttling.AnonRateThrottle):
    pass


class UserThrottle(WindowCount, throttling.UserRateThrottle):
    pass


class ScopedThrottle(WindowCount, throttling.ScopedRateThrottle):
    """The rate of the view's ``throttle_scope`` (login, otp), per user or client IP."""

    def allow_request(self, request, view) -> bool:
        self.scope = getattr(view, self.scope_attr, None)
        if not self.scope:
            return True
        self.rate = self.get_rate()
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return super().allow_request(request, view)


class ClientIpThrottle(WindowCount, throttling.SimpleRateThrottle):
    """The "anon" rate per client IP, without looking at the user (so authentication can stay lazy)."""

    scope = "anon"

    def get_cache_key(self, request, view) -> str:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class LazyAuthenticationMixin:
    """For public data: authenticate only if the view asks for request.user (a cached page never does)."""

    def perform_authentication(self, request) -> None:
        pass


# Throttles for resident-facing endpoints (anonymous by IP, signed-in by user). Device gateways do not use them.
THROTTLES = [AnonThrottle, UserThrottle]
PUBLIC_THROTTLES = [ClientIpThrottle]
LOGIN_THROTTLES = [ScopedThrottle]
