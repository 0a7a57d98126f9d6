from __future__ import annotations

from django.utils.translation import gettext as _
from rest_framework import serializers

from apartments.scoping import apartments_for
from sensors.models import Device, DeviceCommand, DeviceType, LatestValue, Metric, Rejection


class MetricSerializer(serializers.ModelSerializer):
    class Meta:
        model = Metric
        fields = ["key", "name", "unit", "kind", "min_value", "max_value", "aliases"]


class DeviceTypeSerializer(serializers.ModelSerializer):
    metrics = MetricSerializer(many=True, read_only=True)

    class Meta:
        model = DeviceType
        fields = ["code", "name", "description", "metrics"]


class LatestValueSerializer(serializers.ModelSerializer):
    class Meta:
        model = LatestValue
        fields = ["metric", "value", "ts"]


class DeviceSerializer(serializers.ModelSerializer):
    device_type = serializers.SlugRelatedField(slug_field="code", queryset=DeviceType.objects.all())
    device_type_name = serializers.CharField(source="device_type.name", read_only=True)
    apartment_name = serializers.CharField(source="apartment.name", read_only=True)
    latest_values = LatestValueSerializer(many=True, read_only=True)
    has_token = serializers.SerializerMethodField()

    class Meta:
        model = Device
        fields = [
            "id",
            "key",
            "device_type",
            "device_type_name",
            "apartment",
            "apartment_name",
            "floor",
            "room",
            "location",
            "reporting_interval",
            "protocol",
            "alink_product_key",
            "is_enabled",
            "is_online",
            "last_seen_at",
            "has_token",
            "latest_values",
            "created_at",
        ]
        read_only_fields = ["is_online", "last_seen_at", "created_at"]

    def get_has_token(self, device: Device) -> bool:
        return bool(device.token_hash)

    def validate_apartment(self, apartment):
        user = self.context["request"].user
        if not apartments_for(user).filter(pk=apartment.pk).exists():
            raise serializers.ValidationError(_("该公寓不在您的管辖范围"))
        return apartment

    def validate(self, attrs):
        room = attrs.get("room", getattr(self.instance, "room", None))
        apartment = attrs.get("apartment", getattr(self.instance, "apartment", None))
        if room is not None and apartment is not None and room.apartment_id != apartment.pk:
            raise serializers.ValidationError({"room": _("房间不属于该公寓")})
        return attrs


class RejectionSerializer(serializers.ModelSerializer):
    reason_label = serializers.CharField(source="get_reason_display", read_only=True)
    device_key = serializers.CharField(source="device.key", read_only=True, default=None)

    class Meta:
        model = Rejection
        fields = [
            "id",
            "source",
            "device",
            "device_key",
            "reason",
            "reason_label",
            "count",
            "first_at",
            "last_at",
            "last_detail",
            "last_sample",
        ]


class DeviceCommandSerializer(serializers.ModelSerializer):
    action_label = serializers.CharField(source="get_action_display", read_only=True)
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    requested_by_name = serializers.CharField(source="requested_by.__str__", read_only=True, default=None)

    class Meta:
        model = DeviceCommand
        fields = [
            "id",
            "device",
            "action",
            "action_label",
            "params",
            "reason",
            "requested_by_name",
            "requested_at",
            "deadline",
            "status",
            "status_label",
            "answered_at",
            "result_message",
        ]
        read_only_fields = ["device", "requested_at", "deadline", "status", "answered_at", "result_message"]


class CommandRequestSerializer(serializers.Serializer):
    action = serializers.ChoiceField(choices=DeviceCommand.Action.choices)
    reason = serializers.CharField(max_length=255)
    params = serializers.DictField(required=False, default=dict)
    timeout_seconds = serializers.IntegerField(required=False, min_value=1, max_value=600)


class ReadingQuerySerializer(serializers.Serializer):
    metric = serializers.CharField(required=False, max_length=32)
    since = serializers.DateTimeField(required=False)
    until = serializers.DateTimeField(required=False)
    bucket = serializers.ChoiceField(choices=["raw", "minute", "hour"], default="raw")
    limit = serializers.IntegerField(required=False, min_value=1, max_value=10000, default=1000)
