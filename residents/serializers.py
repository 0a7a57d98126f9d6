"""API shapes: personal values always masked; clear values only through the audited ``pii`` endpoint."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_serializer
from rest_framework import serializers

from apartments.models import Enterprise, Room
from residents.models import (
    AccessEvent,
    Notice,
    ResidencePermit,
    ResidenceRegistration,
    Resident,
    SuspiciousMovement,
    Tenancy,
    TenancyRequest,
)
from residents.registration import registration_state
from shijiao.pii import mask_name


class RoomBriefSerializer(serializers.ModelSerializer):
    apartment = serializers.CharField(source="apartment.name")
    apartment_id = serializers.IntegerField()

    class Meta:
        model = Room
        fields = ["id", "apartment_id", "apartment", "floor", "number"]


class TenancySerializer(serializers.ModelSerializer):
    resident_id = serializers.IntegerField(read_only=True)
    resident_name = serializers.SerializerMethodField()
    room = RoomBriefSerializer(read_only=True)
    registration_due = serializers.DateField(read_only=True)
    registration_state = serializers.SerializerMethodField(help_text="registered / missing / overdue / ended")

    class Meta:
        model = Tenancy
        fields = [
            "id",
            "resident_id",
            "resident_name",
            "room",
            "bed",
            "check_in",
            "check_out",
            "registration_due",
            "registration_state",
        ]

    def get_resident_name(self, obj: Tenancy) -> str:
        return mask_name(obj.resident.name)

    def get_registration_state(self, obj: Tenancy) -> str:
        return registration_state(obj) if obj.check_out is None else "ended"


class ResidentSerializer(serializers.ModelSerializer):
    name = serializers.SerializerMethodField()
    id_number = serializers.CharField(source="id_number_masked", read_only=True)
    phone = serializers.CharField(source="phone_masked", read_only=True)
    employer = serializers.CharField(source="employer.name", default=None, read_only=True, allow_null=True)
    emergency_contact_name = serializers.CharField(source="emergency_contact_name_masked", read_only=True)
    emergency_contact_phone = serializers.CharField(source="emergency_contact_phone_masked", read_only=True)
    tenancy = serializers.SerializerMethodField()

    class Meta:
        model = Resident
        fields = [
            "id",
            "name",
            "id_number",
            "phone",
            "gender",
            "hometown",
            "employer",
            "emergency_contact_name",
            "emergency_contact_phone",
            "tenancy",
        ]

    def get_name(self, obj: Resident) -> str:
        return obj.name_masked

    def get_tenancy(self, obj: Resident) -> dict | None:
        tenancy = next((t for t in obj.tenancies.all() if t.check_out is None), None)
        return TenancySerializer(tenancy).data if tenancy else None


class ResidentCreateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=64)
    id_number = serializers.CharField(max_length=18, min_length=18)
    phone = serializers.CharField(max_length=11, required=False, allow_blank=True, default="")
    hometown = serializers.CharField(max_length=64, required=False, allow_blank=True, default="")
    employer = serializers.PrimaryKeyRelatedField(queryset=Enterprise.objects.all(), required=False, allow_null=True)
    emergency_contact_name = serializers.CharField(max_length=64, required=False, allow_blank=True, default="")
    emergency_contact_phone = serializers.CharField(max_length=11, required=False, allow_blank=True, default="")


class ResidentPiiSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    id_number = serializers.CharField()
    phone = serializers.CharField()
    emergency_contact_name = serializers.CharField()
    emergency_contact_phone = serializers.CharField()


class DataAccessSerializer(serializers.Serializer):
    """One line of "who looked at my data": when, who (role and organisation), what, why."""

    at = serializers.DateTimeField()
    action = serializers.CharField()
    action_display = serializers.CharField()
    fields = serializers.ListField(child=serializers.CharField())
    purpose = serializers.CharField()
    purpose_display = serializers.CharField()
    reason = serializers.CharField()
    by_name = serializers.CharField()
    by_role = serializers.CharField()
    by_role_display = serializers.CharField()
    by_organisation = serializers.CharField()


class CheckInSerializer(serializers.Serializer):
    id_number = serializers.CharField(
        max_length=18,
        min_length=18,
        required=False,
        help_text="本人身份证号 (物业办理入住时由物业录入, 按密钥哈希匹配)",
    )
    resident = serializers.IntegerField(required=False, help_text="新市民编号: 仅街道可用")
    room = serializers.PrimaryKeyRelatedField(queryset=Room.objects.select_related("apartment"))
    bed = serializers.CharField(max_length=16, required=False, allow_blank=True, default="")
    check_in = serializers.DateField()


class CheckInResultSerializer(TenancySerializer):
    """What a check-in answers: the tenancy, nothing about the person the manager did not type."""

    class Meta(TenancySerializer.Meta):
        fields = [f for f in TenancySerializer.Meta.fields if f != "resident_name"]


class CheckOutSerializer(serializers.Serializer):
    check_out = serializers.DateField(required=False, help_text="默认今天")


class MoveSerializer(serializers.Serializer):
    room = serializers.PrimaryKeyRelatedField(queryset=Room.objects.select_related("apartment"))
    bed = serializers.CharField(max_length=16, required=False, allow_blank=True, default="")
    on = serializers.DateField(required=False, help_text="默认今天")


class RegistrationSerializer(serializers.ModelSerializer):
    resident_name = serializers.SerializerMethodField()
    apartment = serializers.CharField(source="tenancy.room.apartment.name", read_only=True)
    room = serializers.CharField(source="tenancy.room.number", read_only=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)

    class Meta:
        model = ResidenceRegistration
        fields = [
            "id",
            "resident_id",
            "resident_name",
            "tenancy_id",
            "apartment",
            "room",
            "purpose",
            "status",
            "status_display",
            "resides_since",
            "submitted_at",
            "reviewed_at",
            "return_reason",
            "confirmed_at",
            "deregistration_due",
            "deregistered_at",
        ]

    def get_resident_name(self, obj) -> str:
        return mask_name(obj.resident.name)


class RegistrationSubmitSerializer(serializers.Serializer):
    tenancy = serializers.PrimaryKeyRelatedField(
        queryset=Tenancy.objects.all(), required=False, help_text="物业代办时填写; 新市民本人提交时省略"
    )
    purpose = serializers.ChoiceField(choices=ResidenceRegistration.Purpose.choices, default="work")


class ReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=255)


class PermitSerializer(serializers.ModelSerializer):
    resident_name = serializers.SerializerMethodField()
    status_display = serializers.CharField(source="get_status_display", read_only=True)

    class Meta:
        model = ResidencePermit
        fields = [
            "id",
            "resident_id",
            "resident_name",
            "number",
            "basis",
            "status",
            "status_display",
            "applied_at",
            "registered_since",
            "reviewed_at",
            "reject_reason",
            "valid_from",
            "valid_until",
            "revoked_at",
            "revoke_reason",
        ]

    def get_resident_name(self, obj) -> str:
        return mask_name(obj.resident.name)


class PermitApplySerializer(serializers.Serializer):
    basis = serializers.ChoiceField(choices=ResidencePermit.Basis.choices, required=False, allow_blank=True)


class VerificationSerializer(serializers.Serializer):
    valid = serializers.BooleanField()
    status = serializers.CharField()
    status_display = serializers.CharField()
    name_masked = serializers.CharField()
    valid_from = serializers.DateField(allow_null=True)
    valid_until = serializers.DateField(allow_null=True)


class ConsentSerializer(serializers.Serializer):
    purpose_version = serializers.CharField(max_length=16)


class FaceEnrolSerializer(serializers.Serializer):
    photo = serializers.FileField()


class StaffFaceEnrolSerializer(FaceEnrolSerializer):
    consent_scan = serializers.FileField(help_text="本人签字的纸质单独同意书扫描件或照片 (PDF / JPEG / PNG)")


class FaceWithdrawSerializer(serializers.Serializer):
    token = serializers.CharField(max_length=512, help_text="通知短信中一键撤回链接的令牌")


class PinSerializer(serializers.Serializer):
    pin = serializers.CharField(max_length=6, min_length=6)


class CardSerializer(serializers.Serializer):
    card_number = serializers.CharField(max_length=32)


class DoorEntrySerializer(serializers.Serializer):
    method = serializers.ChoiceField(choices=["face", "card", "qr", "pin"])
    credential = serializers.CharField(
        required=False, allow_blank=True, default="", help_text="卡号 / 二维码内容 / 密码"
    )
    room = serializers.CharField(required=False, allow_blank=True, default="", help_text="密码开门时的房号")
    snapshot = serializers.FileField(required=False, help_text="刷脸时的抓拍 JPEG")
    floor = serializers.IntegerField(required=False, help_text="梯控: 请求前往的楼层")
    at = serializers.DateTimeField(required=False)


class DecisionSerializer(serializers.Serializer):
    event_id = serializers.IntegerField()
    decision = serializers.ChoiceField(choices=AccessEvent.Decision.choices)
    open = serializers.BooleanField()
    message = serializers.CharField()
    reason = serializers.CharField()
    resident = serializers.CharField(allow_null=True)
    register_link = serializers.CharField(allow_null=True)
    floors = serializers.ListField(child=serializers.IntegerField())


class AccessEventSerializer(serializers.ModelSerializer):
    resident_name = serializers.SerializerMethodField()
    apartment = serializers.CharField(source="apartment.name", read_only=True)
    device = serializers.CharField(source="device.key", default=None, read_only=True)
    decision_display = serializers.CharField(source="get_decision_display", read_only=True)
    has_snapshot = serializers.SerializerMethodField()

    class Meta:
        model = AccessEvent
        fields = [
            "id",
            "at",
            "apartment_id",
            "apartment",
            "device",
            "resident_id",
            "resident_name",
            "method",
            "decision",
            "decision_display",
            "reason",
            "floors",
            "has_snapshot",
            "let_in_at",
        ]

    def get_resident_name(self, obj) -> str | None:
        return mask_name(obj.resident.name) if obj.resident else None

    def get_has_snapshot(self, obj) -> bool:
        from residents.faces import snapshot_expiry

        # Past FACE_VISITOR_SNAPSHOT_HOURS a snapshot is gone for its purpose, even before the job erases it.
        return obj.snapshot_encrypted is not None and obj.at >= snapshot_expiry()


class SuspiciousMovementSerializer(serializers.ModelSerializer):
    apartment = serializers.CharField(source="apartment.name", read_only=True)
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)

    class Meta:
        model = SuspiciousMovement
        fields = ["id", "at", "apartment_id", "apartment", "device_id", "kind", "kind_display", "detail"]


class RegularSerializer(serializers.Serializer):
    resident_id = serializers.IntegerField(source="resident.pk")
    resident_name = serializers.SerializerMethodField()
    apartment_id = serializers.IntegerField(source="apartment.pk")
    apartment = serializers.CharField(source="apartment.name")
    days = serializers.IntegerField()
    last_seen = serializers.DateTimeField()
    problem = serializers.CharField()
    problem_display = serializers.CharField()
    tenancy_id = serializers.IntegerField(source="tenancy.pk", default=None)

    def get_resident_name(self, obj) -> str:
        return mask_name(obj.resident.name)


class SilentResidentSerializer(TenancySerializer):
    last_seen = serializers.DateTimeField(allow_null=True)

    class Meta(TenancySerializer.Meta):
        fields = [*TenancySerializer.Meta.fields, "last_seen"]


# --- self-service ---------------------------------------------------------------------------------


class RealNameSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=32, help_text="身份证上的姓名")
    id_number = serializers.CharField(max_length=18, min_length=18, help_text="18 位身份证号")
    hometown = serializers.CharField(max_length=64, help_text="籍贯, 如 安徽省阜阳市临泉县")
    id_card_front = serializers.ImageField(required=False, help_text="身份证人像面照片 (可选)")
    id_card_back = serializers.ImageField(required=False, help_text="身份证国徽面照片 (可选)")


class ScanSerializer(serializers.Serializer):
    code = serializers.CharField(max_length=512, help_text="扫到的二维码内容 (整个链接或其中的 code)")


class ScanPreviewSerializer(serializers.Serializer):
    apartment_id = serializers.IntegerField()
    apartment = serializers.CharField()
    address = serializers.CharField()
    room_id = serializers.IntegerField(allow_null=True)
    room = serializers.CharField(allow_null=True, help_text="房号; 扫的是公寓大门的码时为 null, 需填写房号")
    vacancies = serializers.IntegerField(allow_null=True)


class TenancyRequestCreateSerializer(serializers.Serializer):
    code = serializers.CharField(max_length=512, help_text="扫到的二维码内容")
    room_number = serializers.CharField(max_length=16, required=False, allow_blank=True, default="")
    arrival = serializers.DateField(required=False, allow_null=True, default=None, help_text="入住日期, 默认今天")


class TenancyRequestSerializer(serializers.ModelSerializer):
    resident_name = serializers.CharField(source="resident.name_masked", read_only=True)
    room = RoomBriefSerializer(read_only=True)
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    tenancy_id = serializers.IntegerField(allow_null=True, read_only=True)

    class Meta:
        model = TenancyRequest
        fields = [
            "id",
            "resident_name",
            "room",
            "status",
            "status_label",
            "arrival",
            "requested_at",
            "decided_at",
            "reason",
            "tenancy_id",
        ]


class TenancyConfirmSerializer(serializers.Serializer):
    bed = serializers.CharField(
        max_length=16, required=False, allow_blank=True, default="", help_text="床位, 默认第一个空床"
    )


class JourneyStepSerializer(serializers.Serializer):
    key = serializers.ChoiceField(choices=["phone", "real_name", "tenancy", "registration", "permit"])
    label = serializers.CharField()
    done = serializers.BooleanField()
    detail = serializers.CharField(allow_blank=True)


class JourneySerializer(serializers.Serializer):
    state = serializers.ChoiceField(
        choices=["phone", "real_name", "scan", "waiting_property", "register", "waiting_police", "registered"]
    )
    next_step = serializers.CharField(allow_blank=True, help_text="下一步要做什么")
    deadline = serializers.DateField(allow_null=True, help_text="居住登记期限 (有待办时)")
    deadline_days_left = serializers.IntegerField(allow_null=True)
    steps = JourneyStepSerializer(many=True)
    tenancy_request = TenancyRequestSerializer(allow_null=True)
    registration_deadline_days = serializers.IntegerField()


@extend_schema_serializer(component_name="ResidentNotice")  # services has its own "Notice" (district notices)
class NoticeSerializer(serializers.ModelSerializer):
    status_label = serializers.CharField(source="get_status_display", read_only=True)

    class Meta:
        model = Notice
        fields = [
            "id",
            "kind",
            "title",
            "text",
            "next_step",
            "link",
            "created_at",
            "read_at",
            "status",
            "status_label",
            "channel",
        ]
