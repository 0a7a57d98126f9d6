"""HTTP entry points: device telemetry for gateways without MQTT, and the device registry API."""

from __future__ import annotations

from django.conf import settings
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import Role
from accounts.permissions import IsPlaceStaff, roles_allowed
from apartments.scoping import scope_queryset
from sensors.auth import token_from_request
from sensors.commands import COMMAND_ROLES, command_send, emergency_controls, may_command
from sensors.devices import device_issue_token, devices_import_csv
from sensors.ingest import RawMessage, ingest_messages
from sensors.models import Device, DeviceCommand, DeviceType, Reading, ReadingRollup, Rejection, RejectionReason
from sensors.parsers import HTTP_TOPIC
from sensors.serializers import (
    CommandRequestSerializer,
    DeviceCommandSerializer,
    DeviceSerializer,
    DeviceTypeSerializer,
    ReadingQuerySerializer,
    RejectionSerializer,
)
from shijiao.errors import DomainError

DEVICE_EDITORS = roles_allowed(Role.STREET_ADMIN, Role.PROPERTY_MANAGER)
COMMANDERS = roles_allowed(*COMMAND_ROLES)


class TelemetryView(APIView):
    """``POST /api/v1/devices/telemetry``: a device (token in ``Authorization: Bearer`` or ``X-Device-Token``)
    sends readings in any of the three formats; a list is a batch. Bad readings are reported, good ones stored."""

    authentication_classes: list = []
    permission_classes = [AllowAny]

    def device_token(self, request: Request, **kwargs) -> str:
        return token_from_request(request)

    @extend_schema(request=None, responses=None)
    def post(self, request: Request, **kwargs) -> Response:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
        if length > settings.INGEST_HTTP_MAX_BODY_BYTES:
            raise DomainError(
                _("请求体 %(n)s 字节, 超过上限 %(max)s 字节")
                % {"n": length, "max": settings.INGEST_HTTP_MAX_BODY_BYTES},
                code=RejectionReason.OVERSIZED,
                status_code=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
            )
        token = self.device_token(request, **kwargs)
        body = request.body
        result = ingest_messages([RawMessage(topic=HTTP_TOPIC, payload=body, username=token)])
        rejected = [
            {"reason": reason, "label": RejectionReason(reason).label, "detail": detail}
            for _source, reason, detail in result.rejections
        ]
        if any(r["reason"] == RejectionReason.BAD_TOKEN for r in rejected):
            raise DomainError(_("设备令牌无效或缺失"), code="bad_token", status_code=status.HTTP_401_UNAUTHORIZED)
        if any(r["reason"] == RejectionReason.DISABLED for r in rejected):
            raise DomainError(_("设备已停用"), code="disabled", status_code=status.HTTP_403_FORBIDDEN)
        body = {"accepted": result.accepted, "stored": result.stored, "rejected": rejected}
        if rejected and not result.accepted:
            return Response(
                {"code": rejected[0]["reason"], "message": rejected[0]["detail"], "errors": {}, **body},
                status=status.HTTP_400_BAD_REQUEST,
            )
        return Response(body)


class ThingsBoardTelemetryView(TelemetryView):
    """``POST /api/v1/<token>/telemetry``: ThingsBoard's HTTP device API as it is (the token in the path), so its
    devices and gateways post here unchanged; same formats, validation and answers as the endpoint above."""

    def device_token(self, request: Request, **kwargs) -> str:
        return kwargs["token"]


class DeviceTypeViewSet(viewsets.ReadOnlyModelViewSet):
    """Device types with their metrics, units and physically possible ranges."""

    queryset = DeviceType.objects.prefetch_related("metrics")
    serializer_class = DeviceTypeSerializer
    permission_classes = [IsPlaceStaff]
    lookup_field = "code"
    pagination_class = None


class DeviceViewSet(viewsets.ModelViewSet):
    """Devices of the blocks the user answers for; property managers and the street register and edit them."""

    serializer_class = DeviceSerializer
    filterset_fields = ["apartment", "device_type__code", "is_online", "is_enabled", "protocol"]
    search_fields = ["key", "location", "apartment__name", "apartment__code"]
    ordering_fields = ["key", "last_seen_at", "apartment"]

    def get_queryset(self):
        qs = Device.objects.select_related("device_type", "apartment").prefetch_related("latest_values")
        return scope_queryset(qs, self.request.user)

    def get_permissions(self):
        if self.action in {"list", "retrieve", "readings", "controls"} or (
            self.action == "commands" and self.request.method == "GET"
        ):
            return [IsPlaceStaff()]
        if self.action == "commands":
            return [COMMANDERS()]
        return [DEVICE_EDITORS()]

    def perform_create(self, serializer) -> None:
        serializer.save()

    @action(detail=True, methods=["post"])
    def token(self, request: Request, pk=None) -> Response:
        """Issue a new access token (shown once; the previous one stops working)."""
        device = self.get_object()
        return Response({"device": device.key, "token": device_issue_token(device=device, actor=request.user)})

    @action(detail=False, methods=["post"], url_path="import", parser_classes=[MultiPartParser, FormParser])
    def import_csv(self, request: Request) -> Response:
        """Register many devices from a CSV file (field ``file``); answers each new device's token once."""
        upload = request.FILES.get("file")
        if upload is None:
            raise DomainError(_("请上传 CSV 文件 (字段名 file)"), code="no_file")
        if upload.size > 2 * 1024 * 1024:
            raise DomainError(_("CSV 文件不能超过 2 MB"), code="too_large")
        result = devices_import_csv(data=upload.read(), actor=request.user)
        if result.errors:
            return Response(
                {"code": "invalid", "message": result.errors[0], "errors": {"file": result.errors}},
                status=status.HTTP_400_BAD_REQUEST,
            )
        return Response(
            {"created": [{"id": d.pk, "key": d.key, "token": token} for d, token in result.created]},
            status=status.HTTP_201_CREATED,
        )

    @action(detail=True, methods=["get"])
    def readings(self, request: Request, pk=None) -> Response:
        """Raw readings (``bucket=raw``) or minute/hour roll-ups of a device, newest first."""
        device = self.get_object()
        query = ReadingQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        q = query.validated_data
        if q["bucket"] == "raw":
            rows = Reading.objects.filter(device=device)
            time_field = "ts"
        else:
            rows = ReadingRollup.objects.filter(device=device, period=q["bucket"])
            time_field = "bucket"
        if q.get("metric"):
            rows = rows.filter(metric=q["metric"])
        if q.get("since"):
            rows = rows.filter(**{f"{time_field}__gte": q["since"]})
        if q.get("until"):
            rows = rows.filter(**{f"{time_field}__lt": q["until"]})
        rows = rows.order_by(f"-{time_field}")[: q["limit"]]
        if q["bucket"] == "raw":
            data = [{"metric": r.metric, "ts": r.ts, "value": r.value} for r in rows]
        else:
            data = [
                {
                    "metric": r.metric,
                    "bucket": r.bucket,
                    "count": r.count,
                    "min": r.min_value,
                    "max": r.max_value,
                    "avg": r.avg_value,
                }
                for r in rows
            ]
        return Response({"device": device.key, "bucket": q["bucket"], "results": data})

    @action(detail=False, methods=["get"])
    def controls(self, request: Request) -> Response:
        """``?apartment=<id>``: the block's enabled devices that take an emergency action (trip, release exits,
        elevator to ground), with those actions; ``may_command`` says whether this user may send them."""
        try:
            apartment = int(request.query_params.get("apartment", ""))
        except ValueError:
            raise DomainError(_("请指明公寓 apartment"), code="invalid") from None
        devices = self.get_queryset().filter(apartment_id=apartment, is_enabled=True).order_by("floor", "key")
        return Response({"may_command": may_command(request.user), "results": emergency_controls(devices)})

    @action(detail=True, methods=["get", "post"])
    def commands(self, request: Request, pk=None) -> Response:
        """GET: the device's commands; POST ``{"action", "reason"}``: send one (audited, tracked with a timeout)."""
        device = self.get_object()
        if request.method == "GET":
            page = DeviceCommand.objects.filter(device=device).select_related("requested_by")[:100]
            return Response(DeviceCommandSerializer(page, many=True).data)
        form = CommandRequestSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        command = command_send(device=device, actor=request.user, **form.validated_data)
        return Response(DeviceCommandSerializer(command).data, status=status.HTTP_202_ACCEPTED)


class RejectionViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """Rejected device input counted per device and reason (unknown senders: street staff only)."""

    serializer_class = RejectionSerializer
    permission_classes = [IsPlaceStaff]
    filterset_fields = ["reason", "device"]
    search_fields = ["source", "last_detail"]

    def get_queryset(self):
        qs = Rejection.objects.select_related("device")
        return scope_queryset(qs, self.request.user, apartment_path="device__apartment")
