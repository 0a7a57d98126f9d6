"""REST API of the alarms and one-click command (the same actions as the WebSocket, for apps and scripts)."""

from __future__ import annotations

from django.db.models import Q
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers, status
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework.viewsets import ViewSet

from accounts.permissions import IsStaffRole
from alerts import alarms, commands
from alerts.consumers import snapshot
from alerts.models import Alert, Camera, Command, End, ResponsePlan
from alerts.push import alarm_payload, camera_payload, event_payload
from apartments.models import Community, Grid
from apartments.scoping import apartments_for, scope_queryset
from shijiao.errors import DomainError

OPEN_STATUSES = [Alert.Status.RAISED, Alert.Status.ACKNOWLEDGED, Alert.Status.HANDLING]


def _end(request, default: str = End.API) -> str:
    end = str(request.data.get("end") or default)
    if end not in End.values:
        raise DomainError(_("end 只能是 %(ends)s") % {"ends": ", ".join(End.values)}, code="invalid")
    return end


class AlarmViewSet(ViewSet):
    """Alarms of the blocks the user answers for; acknowledge, handle, close."""

    permission_classes = [IsStaffRole]
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    def _qs(self):
        return alarms.alarms_for(self.request.user).select_related("apartment", "device", "acknowledged_by")

    @extend_schema(operation_id="alarms_list", request=None, responses=OpenApiTypes.OBJECT)
    def list(self, request):
        qs = self._qs()
        wanted = request.query_params.get("status", "open")
        if wanted == "open":
            qs = qs.filter(status__in=OPEN_STATUSES)
        elif wanted in Alert.Status.values:
            qs = qs.filter(status=wanted)
        elif wanted != "all":
            raise DomainError(_("status 只能是 open / all / raised / acknowledged / handling / closed"), code="invalid")
        if apartment := request.query_params.get("apartment"):
            if not apartment.isdigit():
                raise DomainError(_("apartment 必须是编号"), code="invalid")
            qs = qs.filter(apartment_id=int(apartment))
        try:
            limit = min(int(request.query_params.get("limit", 100)), 500)
        except ValueError:
            raise DomainError(_("limit 必须是数字"), code="invalid")
        return Response({"results": [alarm_payload(a) for a in qs.order_by("-raised_at")[:limit]]})

    @extend_schema(operation_id="alarms_retrieve", request=None, responses=OpenApiTypes.OBJECT)
    def retrieve(self, request, pk=None):
        alert = get_object_or_404(self._qs(), pk=pk)
        body = alarm_payload(alert)
        body["entries"] = [event_payload(e) for e in alert.events.select_related("actor")]
        body["notifications"] = [
            {
                "channel": n.channel,
                "channel_label": str(n.get_channel_display()),
                "recipient": n.recipient_name,
                "status": n.status,
                "status_label": str(n.get_status_display()),
                "attempts": n.attempts,
                "last_error": n.last_error,
            }
            for n in alert.notifications.order_by("created_at")
        ]
        body["commands"] = [{"id": c.id, "plan": c.plan.name, "status": c.status} for c in alert.commands.all()]
        return Response(body)

    def _answer(self, alert: Alert) -> Response:
        fresh = self._qs().get(pk=alert.pk)
        return Response(alarm_payload(fresh))

    @extend_schema(operation_id="alarms_acknowledge", request=OpenApiTypes.OBJECT, responses=OpenApiTypes.OBJECT)
    def acknowledge(self, request, pk=None):
        return self._answer(alarms.alarm_acknowledge(alert_id=int(pk), by=request.user, end=_end(request)))

    @extend_schema(operation_id="alarms_handle", request=OpenApiTypes.OBJECT, responses=OpenApiTypes.OBJECT)
    def handle(self, request, pk=None):
        photos = [(f.read(), f.name) for f in request.FILES.getlist("photos")]
        responder = str(request.data.get("responder", "")).lower() in {"1", "true", "on", "yes"}
        alert = alarms.alarm_handle(
            alert_id=int(pk), by=request.user, end=_end(request), note=str(request.data.get("note", "")),
            photos=photos, responder=responder,
        )  # fmt: skip
        return self._answer(alert)

    @extend_schema(operation_id="alarms_close", request=OpenApiTypes.OBJECT, responses=OpenApiTypes.OBJECT)
    def close(self, request, pk=None):
        alert = alarms.alarm_close(
            alert_id=int(pk), by=request.user, end=_end(request),
            disposition=str(request.data.get("disposition", "")), note=str(request.data.get("note", "")),
        )  # fmt: skip
        return self._answer(alert)


@extend_schema_view(get=extend_schema(operation_id="alarms_changes", request=None, responses=OpenApiTypes.OBJECT))
class AlarmChangesView(APIView):
    """Everything changed since a version: what a reconnecting client asks for (same as the WebSocket)."""

    permission_classes = [IsStaffRole]

    def get(self, request):
        since = request.query_params.get("since")
        if since is not None and not since.isdigit():
            raise DomainError(_("since 必须是版本号 (整数)"), code="invalid")
        return Response(snapshot(request.user, int(since) if since is not None else None))


@extend_schema_view(get=extend_schema(operation_id="cameras_list", request=None, responses=OpenApiTypes.OBJECT))
class CameraListView(APIView):
    permission_classes = [IsStaffRole]

    def get(self, request):
        qs = scope_queryset(Camera.objects.filter(is_active=True), request.user, apartment_path="apartment")
        if apartment := request.query_params.get("apartment"):
            qs = qs.filter(apartment_id=apartment) if apartment.isdigit() else qs.none()
        return Response({"results": [{**camera_payload(c), "apartment": c.apartment_id} for c in qs]})


@extend_schema_view(get=extend_schema(operation_id="plans_list", request=None, responses=OpenApiTypes.OBJECT))
class PlanListView(APIView):
    permission_classes = [IsStaffRole]

    def get(self, request):
        plans = ResponsePlan.objects.filter(is_active=True).prefetch_related("participants")
        return Response(
            {
                "results": [
                    {
                        "id": p.id,
                        "name": p.name,
                        "category": p.category,
                        "category_label": str(p.get_category_display()),
                        "channels": p.channels,
                        "participants": [str(x) for x in p.participants.all()],
                    }
                    for p in plans
                ]
            }
        )


class CommandStartSerializer(serializers.Serializer):
    plan = serializers.PrimaryKeyRelatedField(queryset=ResponsePlan.objects.filter(is_active=True))
    alarm = serializers.IntegerField(required=False)
    apartment = serializers.IntegerField(required=False)
    grid = serializers.IntegerField(required=False)
    community = serializers.IntegerField(required=False)
    what = serializers.CharField(required=False, allow_blank=True, max_length=255)

    def validate(self, data):
        if sum(1 for k in ("alarm", "apartment", "grid", "community") if data.get(k) is not None) != 1:
            raise serializers.ValidationError(_("请只选择一项: 告警、公寓、网格或社区"))
        return data


class CommandViewSet(ViewSet):
    permission_classes = [IsStaffRole]

    def _visible(self):
        user = self.request.user
        qs = Command.objects.select_related("plan", "apartment", "started_by")
        if user.sees_whole_district:
            return qs
        # One filter with OR, then distinct: OR-ing a distinct queryset with a plain one raises TypeError (a 500).
        return qs.filter(Q(apartment__in=apartments_for(user)) | Q(participants__user=user)).distinct()

    @extend_schema(operation_id="commands_list", request=None, responses=OpenApiTypes.OBJECT)
    def list(self, request):
        """The commands this user may see that are still going (``?status=closed``: the last 50 ended ones), newest
        first, each as the ends receive it (participants, timeline, device actions and their problems)."""
        wanted = request.query_params.get("status", Command.Status.ACTIVE)
        if wanted not in Command.Status.values:
            raise DomainError(_("未知的指挥状态 %(status)s") % {"status": wanted}, code="invalid")
        rows = self._visible().filter(status=wanted).order_by("-started_at")[:50]
        return Response({"results": [commands.command_payload(c) for c in rows]})

    @extend_schema(operation_id="commands_start", request=CommandStartSerializer, responses=OpenApiTypes.OBJECT)
    def create(self, request):
        s = CommandStartSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        data = s.validated_data
        user = request.user
        alert = get_object_or_404(alarms.alarms_for(user), pk=data["alarm"]) if data.get("alarm") else None
        apartment = get_object_or_404(apartments_for(user), pk=data["apartment"]) if data.get("apartment") else None
        grid = get_object_or_404(Grid, pk=data["grid"]) if data.get("grid") else None
        community = get_object_or_404(Community, pk=data["community"]) if data.get("community") else None
        command = commands.command_start(
            plan=data["plan"], by=user, alert=alert, apartment=apartment, grid=grid, community=community,
            what=data.get("what", ""),
        )  # fmt: skip
        return Response(self._payload(command.pk), status=status.HTTP_201_CREATED)

    def _payload(self, pk) -> dict:
        return commands.command_payload(get_object_or_404(self._visible(), pk=pk))

    @extend_schema(operation_id="commands_retrieve", request=None, responses=OpenApiTypes.OBJECT)
    def retrieve(self, request, pk=None):
        return Response(self._payload(pk))

    @extend_schema(operation_id="commands_confirm", request=OpenApiTypes.OBJECT, responses=OpenApiTypes.OBJECT)
    def confirm(self, request, pk=None):
        commands.command_confirm(command_id=get_object_or_404(self._visible(), pk=pk).pk, by=request.user)
        return Response(self._payload(pk))

    @extend_schema(operation_id="commands_arrive", request=OpenApiTypes.OBJECT, responses=OpenApiTypes.OBJECT)
    def arrive(self, request, pk=None):
        commands.command_arrive(command_id=get_object_or_404(self._visible(), pk=pk).pk, by=request.user)
        return Response(self._payload(pk))

    @extend_schema(operation_id="commands_note", request=OpenApiTypes.OBJECT, responses=OpenApiTypes.OBJECT)
    def note(self, request, pk=None):
        commands.command_note(
            command_id=get_object_or_404(self._visible(), pk=pk).pk,
            by=request.user,
            text=str(request.data.get("text", "")),
        )
        return Response(self._payload(pk))

    @extend_schema(operation_id="commands_close", request=OpenApiTypes.OBJECT, responses=OpenApiTypes.OBJECT)
    def close(self, request, pk=None):
        if not (request.user.is_superuser or request.user.role in commands.COMMAND_ROLES):
            raise DomainError(_("只有街道驾驶舱和微型消防站可以结束指挥"), code="forbidden", status_code=403)
        commands.command_close(command_id=get_object_or_404(self._visible(), pk=pk).pk, by=request.user)
        return Response(self._payload(pk))
