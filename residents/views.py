"""REST API of the residents app: entry points only parse input and call the domain modules."""

from __future__ import annotations

from django.db.models import Prefetch
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.audit import audit_pii_read, purpose_from
from accounts.models import Department, ReadPurpose, Role
from accounts.permissions import IsResident, roles_allowed
from apartments.scoping import apartments_for, scope_queryset
from residents import disclosures, doors, faces, gaps, notices, permits, registration, selfservice, tenancies
from residents.device_auth import DeviceTokenAuthentication, device_of_type
from residents.models import (
    AccessEvent,
    Notice,
    ResidencePermit,
    ResidenceRegistration,
    Resident,
    Tenancy,
    TenancyRequest,
)
from residents.scope import scope_residents
from residents.serializers import (
    AccessEventSerializer,
    CardSerializer,
    CheckInResultSerializer,
    CheckInSerializer,
    CheckOutSerializer,
    ConsentSerializer,
    DataAccessSerializer,
    DecisionSerializer,
    DoorEntrySerializer,
    FaceEnrolSerializer,
    FaceWithdrawSerializer,
    JourneySerializer,
    MoveSerializer,
    NoticeSerializer,
    PermitApplySerializer,
    PermitSerializer,
    PinSerializer,
    RealNameSerializer,
    ReasonSerializer,
    RegistrationSerializer,
    RegistrationSubmitSerializer,
    RegularSerializer,
    ResidentCreateSerializer,
    ResidentPiiSerializer,
    ResidentSerializer,
    ScanPreviewSerializer,
    ScanSerializer,
    SilentResidentSerializer,
    StaffFaceEnrolSerializer,
    SuspiciousMovementSerializer,
    TenancyConfirmSerializer,
    TenancyRequestCreateSerializer,
    TenancyRequestSerializer,
    TenancySerializer,
    VerificationSerializer,
)
from shijiao.errors import DomainError

# Who may do what (row scoping is apartments.scoping's job).
MANAGERS = (Role.STREET_ADMIN, Role.PROPERTY_MANAGER)
REVIEWERS = (Role.STREET_ADMIN, Role.PROPERTY_MANAGER, Role.INSPECTOR)  # inspectors: police only, checked below
PERMIT_REVIEWERS = (Role.STREET_ADMIN, Role.INSPECTOR)
PII_READERS = (Role.STREET_ADMIN, Role.PROPERTY_MANAGER, Role.INSPECTOR)
PII_FIELDS = ("id_number", "phone", "emergency_contact_name", "emergency_contact_phone")
GAP_READERS = (Role.STREET_ADMIN, Role.PROPERTY_MANAGER, Role.GRID_WORKER, Role.INSPECTOR)
READERS = (*GAP_READERS, Role.RESIDENT)


def require_police_if_inspector(user) -> None:
    if user.role == Role.INSPECTOR and not user.is_superuser and user.department != Department.POLICE:
        raise DomainError(_("只有公安派出所的检查人员可以办理此项"), code="police_only", status_code=403)


def resident_of(user) -> Resident:
    resident = getattr(user, "resident", None) if user.is_authenticated else None
    if resident is None:
        raise DomainError(_("账号尚未关联新市民信息, 请先完成实名认证"), code="no_resident", status_code=403)
    return resident


def _tenancy_prefetch():
    return Prefetch("tenancies", queryset=Tenancy.objects.select_related("room__apartment", "registration"))


# --- residents and tenancies ------------------------------------------------------------------------


class ResidentViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """新市民 (masked). Staff see the residents of their blocks; a resident sees only themself."""

    serializer_class = ResidentSerializer
    permission_classes = [roles_allowed(*GAP_READERS)]
    search_fields = ["name"]

    def get_queryset(self):
        qs = Resident.objects.filter(anonymised_at__isnull=True)  # an anonymised row is nobody any more
        qs = qs.select_related("employer").prefetch_related(_tenancy_prefetch()).order_by("-pk")
        return scope_residents(qs, self.request.user)

    @extend_schema(
        request=ResidentCreateSerializer,
        responses={201: ResidentSerializer},
        examples=[
            OpenApiExample(
                "新登记",
                value={
                    "name": "王小明",
                    "id_number": "411302199505170995",
                    "phone": "19900001234",
                    "hometown": "河南南阳",
                },
            )
        ],
    )
    def create(self, request):
        if not request.user.has_role(*MANAGERS):
            raise DomainError(_("只有物业或街道可以登记新市民"), code="forbidden", status_code=403)
        data = ResidentCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        resident = tenancies.resident_create(**data.validated_data)
        return Response(ResidentSerializer(resident).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        parameters=[
            OpenApiParameter("purpose", OpenApiTypes.STR, required=True, enum=ReadPurpose.values, description="目的"),
            OpenApiParameter("reason", OpenApiTypes.STR, description="事由 (目的为 other 时必填)"),
        ],
        responses=ResidentPiiSerializer,
        summary="完整身份证号与手机号: 须说明目的, 每次读取均记入审计日志, 本人可查",
    )
    @action(detail=True, methods=["get"], permission_classes=[roles_allowed(*PII_READERS)])
    def pii(self, request, pk=None):
        require_police_if_inspector(request.user)
        resident = self.get_object()
        purpose = purpose_from(request.query_params.get("purpose"), request.query_params.get("reason"))
        audit_pii_read(actor=request.user, target=resident, fields=PII_FIELDS, purpose=purpose, request=request)
        return Response(
            ResidentPiiSerializer(
                {
                    "id": resident.pk,
                    "name": resident.name,
                    "id_number": resident.id_number,
                    "phone": resident.phone,
                    "emergency_contact_name": resident.emergency_contact_name,
                    "emergency_contact_phone": resident.emergency_contact_phone,
                }
            ).data
        )

    @extend_schema(
        request={"multipart/form-data": StaffFaceEnrolSerializer},
        responses={201: OpenApiTypes.OBJECT},
        summary="物业代录人脸: 须同时上传本人签字的纸质单独同意书扫描件 (consent_scan); 本人随即收到短信, 可一键撤回",
    )
    @action(
        detail=True,
        methods=["post"],
        url_path="face",
        permission_classes=[roles_allowed(*MANAGERS)],
        parser_classes=[MultiPartParser, FormParser],
    )
    def face(self, request, pk=None):
        """Enrol on the resident's behalf at the management office, with the scan of their signed paper consent."""
        resident = self.get_object()
        data = StaffFaceEnrolSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        enrolment = faces.face_enrol_by_staff(
            resident=resident,
            photo=data.validated_data["photo"].read(),
            consent_scan=data.validated_data["consent_scan"].read(),
            by=request.user,
            request=request,
        )
        return Response(
            {"id": enrolment.pk, "created_at": enrolment.created_at, "notice_status": enrolment.notice_status},
            status=status.HTTP_201_CREATED,
        )

    @extend_schema(request=CardSerializer, responses={201: None}, summary="发放门禁卡")
    @action(detail=True, methods=["post"], permission_classes=[roles_allowed(*MANAGERS)])
    def cards(self, request, pk=None):
        resident = self.get_object()
        data = CardSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        credential = doors.credential_issue_card(resident=resident, card_number=data.validated_data["card_number"])
        return Response({"id": credential.pk, "label": credential.label}, status=status.HTTP_201_CREATED)


class MeView(APIView):
    """The resident's own record (masked), tenancy and registration state."""

    permission_classes = [IsResident]

    @extend_schema(responses=ResidentSerializer)
    def get(self, request):
        resident = (
            Resident.objects.prefetch_related(_tenancy_prefetch()).select_related("employer")
            .filter(user=request.user).first()
        )  # fmt: skip
        if resident is None:
            resident_of(request.user)  # the clear "not linked yet" error
        return Response(ResidentSerializer(resident).data)


class MyDataAccessView(APIView):
    """Who looked at my data: every clear read of the resident's personal data, who, when, what and why."""

    permission_classes = [IsResident]

    @extend_schema(responses=DataAccessSerializer(many=True), summary="谁查看了我的信息")
    def get(self, request):
        return Response(DataAccessSerializer(disclosures.data_access_log(resident_of(request.user)), many=True).data)


class TenancyViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """入住记录: check-in, check-out, move. Property managers and the street."""

    serializer_class = TenancySerializer
    permission_classes = [roles_allowed(*READERS)]
    filterset_fields = ["check_out"]

    def get_queryset(self):
        qs = Tenancy.objects.select_related("resident", "room__apartment", "registration").order_by("-check_in")
        return scope_queryset(qs, self.request.user, apartment_path="room__apartment", owner_path="resident__user")

    def _managed(self):
        if not self.request.user.has_role(*MANAGERS):
            raise DomainError(_("只有物业或街道可以办理入住、换房和退房"), code="forbidden", status_code=403)

    @extend_schema(
        request=CheckInSerializer,
        responses={201: CheckInResultSerializer},
        examples=[
            OpenApiExample(
                "入住", value={"id_number": "411302199505170995", "room": 345, "bed": "2", "check_in": "2026-11-20"}
            )
        ],
    )
    def create(self, request):
        """Check in: the manager types the person's ID number (matched by its keyed hash); the answer says
        nothing about the person the manager did not type. A resident number is accepted from the street only."""
        self._managed()
        data = CheckInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        room = data.validated_data["room"]
        if not apartments_for(request.user).filter(pk=room.apartment_id).exists():
            raise DomainError(_("只能为本人管理的公寓办理入住"), code="forbidden", status_code=403)
        id_number, resident_id = data.validated_data.get("id_number"), data.validated_data.get("resident")
        if id_number:
            resident = tenancies.resident_by_id_number(id_number)
            if resident_id is not None and resident_id != resident.pk:
                raise DomainError(_("身份证号与新市民编号不符"), code="resident_mismatch")
        elif resident_id is not None and request.user.sees_whole_district:
            resident = Resident.objects.filter(pk=resident_id).first()
            if resident is None:
                raise DomainError(_("没有该新市民"), code="resident_not_found", status_code=404)
        else:
            raise DomainError(
                _("请录入入住人的身份证号 (id_number), 系统按身份证号核对, 不按编号办理"),
                code="id_number_required",
            )
        tenancy = tenancies.resident_check_in(
            resident=resident, room=room, bed=data.validated_data["bed"], check_in=data.validated_data["check_in"]
        )
        return Response(CheckInResultSerializer(tenancy).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=CheckOutSerializer, responses=TenancySerializer, summary="退房 (一键退房)")
    @action(detail=True, methods=["post"], url_path="check-out")
    def check_out(self, request, pk=None):
        self._managed()
        data = CheckOutSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        tenancy = tenancies.resident_check_out(
            tenancy=self.get_object(),
            check_out=data.validated_data.get("check_out") or timezone.localdate(),
            by=request.user,
        )
        return Response(TenancySerializer(tenancy).data)

    @extend_schema(request=MoveSerializer, responses=TenancySerializer, summary="换房")
    @action(detail=True, methods=["post"])
    def move(self, request, pk=None):
        self._managed()
        data = MoveSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        room = data.validated_data["room"]
        if not apartments_for(request.user).filter(pk=room.apartment_id).exists():
            raise DomainError(_("只能换到本人管理的公寓"), code="forbidden", status_code=403)
        tenancy = tenancies.resident_move(
            tenancy=self.get_object(),
            room=room,
            bed=data.validated_data["bed"],
            on=data.validated_data.get("on") or timezone.localdate(),
            by=request.user,
        )
        return Response(TenancySerializer(tenancy).data, status=status.HTTP_201_CREATED)


# --- residence registration -------------------------------------------------------------------------


class RegistrationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """居住登记: the resident (or the manager on their behalf) submits; manager or police confirm or return."""

    serializer_class = RegistrationSerializer
    permission_classes = [roles_allowed(*READERS)]
    filterset_fields = ["status"]

    def get_queryset(self):
        qs = ResidenceRegistration.objects.select_related("resident", "tenancy__room__apartment")
        return scope_queryset(
            qs, self.request.user, apartment_path="tenancy__room__apartment", owner_path="resident__user"
        )

    @extend_schema(
        request=RegistrationSubmitSerializer,
        responses={201: RegistrationSerializer},
        examples=[
            OpenApiExample("新市民本人提交", value={"purpose": "work"}),
            OpenApiExample("物业代办", value={"tenancy": 88, "purpose": "work"}),
        ],
    )
    def create(self, request):
        data = RegistrationSubmitSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        tenancy = data.validated_data.get("tenancy")
        if request.user.role == Role.RESIDENT and not request.user.is_superuser:
            resident = resident_of(request.user)
            tenancy = Tenancy.objects.active().filter(resident=resident).first()
            if tenancy is None:
                raise DomainError(_("没有在住记录, 请先由公寓办理入住"), code="no_tenancy")
        else:
            if not request.user.has_role(*MANAGERS):
                raise DomainError(_("只有新市民本人或物业可以提交居住登记"), code="forbidden", status_code=403)
            if tenancy is None:
                raise DomainError(_("请指定入住记录 (tenancy)"), code="tenancy_required")
            if not apartments_for(request.user).filter(pk=tenancy.room.apartment_id).exists():
                raise DomainError(_("只能为本人管理的公寓代办"), code="forbidden", status_code=403)
        result = registration.registration_submit(
            tenancy=tenancy, by=request.user, purpose=data.validated_data["purpose"]
        )
        return Response(RegistrationSerializer(result).data, status=status.HTTP_201_CREATED)

    def _reviewer(self):
        if not self.request.user.has_role(*REVIEWERS):
            raise DomainError(_("只有公寓物业、派出所或街道可以审核居住登记"), code="forbidden", status_code=403)
        require_police_if_inspector(self.request.user)

    @extend_schema(request=None, responses=RegistrationSerializer, summary="确认登记")
    @action(detail=True, methods=["post"])
    def confirm(self, request, pk=None):
        self._reviewer()
        return Response(
            RegistrationSerializer(
                registration.registration_confirm(registration=self.get_object(), by=request.user)
            ).data
        )

    @extend_schema(
        request=ReasonSerializer,
        responses=RegistrationSerializer,
        summary="退回 (附原因)",
        examples=[OpenApiExample("退回", value={"reason": "身份证照片不清晰, 请重新上传"})],
    )
    @action(detail=True, methods=["post"], url_path="return")
    def return_(self, request, pk=None):
        self._reviewer()
        data = ReasonSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        result = registration.registration_return(
            registration=self.get_object(), by=request.user, reason=data.validated_data["reason"]
        )
        return Response(RegistrationSerializer(result).data)

    @extend_schema(request=None, responses=RegistrationSerializer, summary="确认注销 (退房已申报)")
    @action(detail=True, methods=["post"], url_path="confirm-deregistration")
    def confirm_deregistration(self, request, pk=None):
        self._reviewer()
        result = registration.deregistration_confirm(registration=self.get_object(), by=request.user)
        return Response(RegistrationSerializer(result).data)

    @extend_schema(
        parameters=[OpenApiParameter("date", OpenApiTypes.DATE, description="哪一天的清单, 默认今天")],
        responses={200: OpenApiTypes.OBJECT},
        summary="逾期未登记与逾期未注销清单 (网格员、物业)",
    )
    @action(detail=False, methods=["get"], permission_classes=[roles_allowed(*GAP_READERS)])
    def overdue(self, request):
        today = _date_param(request)
        blocks = apartments_for(request.user)
        late = registration.overdue_registrations(Tenancy.objects.filter(room__apartment__in=blocks), today=today)
        not_deregistered = registration.overdue_deregistrations(
            ResidenceRegistration.objects.filter(tenancy__room__apartment__in=blocks), today=today
        )
        return Response(
            {
                "date": today,
                "registration_overdue": TenancySerializer(late, many=True).data,
                "deregistration_overdue": RegistrationSerializer(not_deregistered, many=True).data,
            }
        )


def _date_param(request):
    from django.utils.dateparse import parse_date

    raw = request.query_params.get("date")
    if not raw:
        return timezone.localdate()
    day = parse_date(raw)
    if day is None:
        raise DomainError(_("日期格式应为 YYYY-MM-DD"), code="invalid_date")
    return day


# --- e-residence permit -----------------------------------------------------------------------------


class PermitViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """电子居住证: eligibility, application, review (police / street), QR code, revocation."""

    serializer_class = PermitSerializer
    permission_classes = [roles_allowed(*READERS)]
    filterset_fields = ["status"]

    def get_queryset(self):
        qs = ResidencePermit.objects.select_related("resident")
        return scope_residents(qs, self.request.user, resident_path="resident", owner_path="resident__user")

    @extend_schema(responses={200: OpenApiTypes.OBJECT}, summary="是否符合申领条件")
    @action(detail=False, methods=["get"], permission_classes=[IsResident])
    def eligibility(self, request):
        check = permits.permit_eligibility(resident_of(request.user))
        return Response(
            {
                "eligible": check.eligible,
                "registered_since": check.registered_since,
                "bases": check.bases,
                "reasons": check.reasons,
            }
        )

    @extend_schema(
        request=PermitApplySerializer,
        responses={201: PermitSerializer},
        examples=[OpenApiExample("以稳定就业申领", value={"basis": "job"})],
    )
    def create(self, request):
        if request.user.role != Role.RESIDENT:
            raise DomainError(_("居住证由新市民本人申领"), code="forbidden", status_code=403)
        data = PermitApplySerializer(data=request.data)
        data.is_valid(raise_exception=True)
        permit = permits.permit_apply(resident=resident_of(request.user), basis=data.validated_data.get("basis") or "")
        return Response(PermitSerializer(permit).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses={200: OpenApiTypes.OBJECT}, summary="居住证二维码 (签名令牌、核验地址、SVG)")
    @action(detail=True, methods=["get"])
    def qr(self, request, pk=None):
        permit = self.get_object()
        return Response(
            {
                "token": permits.permit_token(permit),
                "verify_url": permits.permit_verify_url(permit),
                "svg": permits.permit_qr_svg(permit),
            }
        )

    def _reviewer(self):
        if not self.request.user.has_role(*PERMIT_REVIEWERS):
            raise DomainError(_("只有派出所或街道可以审核居住证"), code="forbidden", status_code=403)
        require_police_if_inspector(self.request.user)

    @extend_schema(request=None, responses=PermitSerializer, summary="审核通过并签发")
    @action(detail=True, methods=["post"])
    def issue(self, request, pk=None):
        self._reviewer()
        return Response(PermitSerializer(permits.permit_issue(permit=self.get_object(), by=request.user)).data)

    @extend_schema(request=ReasonSerializer, responses=PermitSerializer, summary="不予通过")
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        self._reviewer()
        data = ReasonSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        permit = permits.permit_reject(permit=self.get_object(), by=request.user, reason=data.validated_data["reason"])
        return Response(PermitSerializer(permit).data)

    @extend_schema(request=ReasonSerializer, responses=PermitSerializer, summary="吊销")
    @action(detail=True, methods=["post"])
    def revoke(self, request, pk=None):
        self._reviewer()
        data = ReasonSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        permit = permits.permit_revoke(permit=self.get_object(), by=request.user, reason=data.validated_data["reason"])
        return Response(PermitSerializer(permit).data)


class PermitVerifyView(APIView):
    """Public: what a QR scan may reveal (masked name, validity, status)."""

    permission_classes = [AllowAny]
    authentication_classes: list = []

    @extend_schema(
        parameters=[OpenApiParameter("token", OpenApiTypes.STR, required=True)], responses=VerificationSerializer
    )
    def get(self, request):
        token = request.query_params.get("token", "")
        if not token:
            raise DomainError(_("缺少 token 参数"), code="token_required")
        return Response(VerificationSerializer(permits.permit_verify(token)).data)


# --- face, QR and PIN for the resident --------------------------------------------------------------


class FaceView(APIView):
    """The resident's face: consent text, separate consent, enrolment, withdrawal (deletes face data at once)."""

    permission_classes = [IsResident]
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    @extend_schema(responses={200: OpenApiTypes.OBJECT}, summary="同意书与当前状态")
    def get(self, request):
        resident = resident_of(request.user)
        consent = resident.face_consents.filter(withdrawn_at__isnull=True).first()
        return Response(
            {
                "consent_version": faces.CONSENT_VERSION,
                "consent_text": faces.CONSENT_TEXT,
                "consented": consent is not None,
                "consented_at": consent.granted_at if consent else None,
                "enrolled": resident.face_enrolments.count(),
            }
        )


class FaceConsentView(APIView):
    permission_classes = [IsResident]

    @extend_schema(
        request=ConsentSerializer,
        responses={201: OpenApiTypes.OBJECT},
        summary="单独同意人脸识别",
        examples=[OpenApiExample("同意", value={"purpose_version": faces.CONSENT_VERSION})],
    )
    def post(self, request):
        data = ConsentSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        consent = faces.consent_grant(
            resident=resident_of(request.user), by=request.user, purpose_version=data.validated_data["purpose_version"]
        )
        return Response({"id": consent.pk, "granted_at": consent.granted_at}, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={200: OpenApiTypes.OBJECT}, summary="撤回同意 (立即删除人脸数据)")
    def delete(self, request):
        deleted = faces.consent_withdraw(resident=resident_of(request.user), by=request.user, request=request)
        return Response({"withdrawn": True, "deleted_encodings": deleted})


class FaceWithdrawView(APIView):
    """One-tap withdrawal from the link in the notice of a face enrolled by staff: no login, the signed link is
    the person's own. Deletes every encoding at once."""

    permission_classes = [AllowAny]
    authentication_classes: list = []

    @extend_schema(request=FaceWithdrawSerializer, responses={200: OpenApiTypes.OBJECT}, summary="一键撤回人脸识别同意")
    def post(self, request):
        data = FaceWithdrawSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        resident = faces.resident_of_withdraw_token(data.validated_data["token"])
        deleted = faces.consent_withdraw(resident=resident, by=None, request=request)
        return Response({"withdrawn": True, "deleted_encodings": deleted})


class FaceEnrolmentView(APIView):
    permission_classes = [IsResident]
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(request={"multipart/form-data": FaceEnrolSerializer}, responses={201: OpenApiTypes.OBJECT})
    def post(self, request):
        data = FaceEnrolSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        from shijiao.images import ImageRejected

        try:
            enrolment = faces.face_enrol(
                resident=resident_of(request.user), photo=data.validated_data["photo"].read(), by=request.user
            )
        except ImageRejected as exc:
            raise DomainError(str(exc), code="bad_image")
        return Response({"id": enrolment.pk, "created_at": enrolment.created_at}, status=status.HTTP_201_CREATED)


class DoorQrView(APIView):
    """A short-lived QR code to open the door without the face."""

    permission_classes = [IsResident]

    @extend_schema(responses={200: OpenApiTypes.OBJECT})
    def get(self, request):
        from django.conf import settings

        return Response(
            {"token": doors.door_qr_token(resident_of(request.user)), "expires_in": settings.DOOR_QR_MAX_AGE_SECONDS}
        )


class DoorPinView(APIView):
    permission_classes = [IsResident]

    @extend_schema(request=PinSerializer, responses={200: OpenApiTypes.OBJECT}, summary="设置 6 位开门密码")
    def post(self, request):
        data = PinSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        doors.credential_set_pin(resident=resident_of(request.user), pin=data.validated_data["pin"])
        return Response({"ok": True})


# --- devices ----------------------------------------------------------------------------------------


class DeviceView(APIView):
    authentication_classes = [DeviceTokenAuthentication]
    parser_classes = [JSONParser, MultiPartParser, FormParser]


def _entry_payload(request) -> dict:
    content_type = (request.content_type or "").split(";")[0].strip()
    if content_type in ("image/jpeg", "image/png", "image/webp"):
        return {"method": "face", "snapshot": request.body}
    data = DoorEntrySerializer(data=request.data)
    data.is_valid(raise_exception=True)
    payload = dict(data.validated_data)
    if payload.get("snapshot") is not None:
        payload["snapshot"] = payload["snapshot"].read()
    return payload


class DoorEntryView(DeviceView):
    """The door asks: open or not? Face snapshot (raw JPEG or multipart ``snapshot``), card, QR or PIN."""

    permission_classes = [device_of_type("door_controller")]

    @extend_schema(
        request={"application/json": DoorEntrySerializer, "multipart/form-data": DoorEntrySerializer},
        responses=DecisionSerializer,
        examples=[
            OpenApiExample("刷卡", value={"method": "card", "credential": "0012345678"}),
            OpenApiExample("密码", value={"method": "pin", "room": "305", "credential": "802615"}),
        ],
    )
    def post(self, request):
        payload = _entry_payload(request)
        payload.pop("floor", None)
        outcome = doors.door_enter(request.auth, **payload)
        return Response(outcome.as_dict())


class ElevatorEntryView(DeviceView):
    """The elevator controller asks which floors this person may go to (their own floor and the ground floor)."""

    permission_classes = [device_of_type("elevator")]

    @extend_schema(request=DoorEntrySerializer, responses=DecisionSerializer)
    def post(self, request):
        outcome = doors.door_enter(request.auth, **_entry_payload(request))
        return Response(outcome.as_dict())


class HikvisionEventView(DeviceView):
    """Hikvision ISAPI ``EventNotificationAlert`` push (JSON, or multipart with the JSON part and a picture)."""

    permission_classes = [device_of_type("door_controller")]

    @extend_schema(request={"multipart/form-data": OpenApiTypes.OBJECT}, responses=DecisionSerializer)
    def post(self, request):
        picture = None
        if request.content_type.startswith("multipart/"):
            event_json = ""
            for name, value in request.data.items():
                if name in ("event_log", "AccessControllerEvent", "EventNotificationAlert") or (
                    isinstance(value, str) and value.lstrip().startswith("{")
                ):
                    event_json = value
            for upload in request.FILES.values():
                if (upload.content_type or "").startswith("image/"):
                    picture = upload.read()
                elif not event_json:
                    event_json = upload.read()
        else:
            event_json = request.body
        outcome = doors.hikvision_event(request.auth, event_json=event_json, picture=picture)
        if outcome is None:
            return Response({"ignored": True})
        return Response(outcome.as_dict())


class DoorCommandsView(DeviceView):
    """The door polls for remote openings decided by the manager (visitor flow)."""

    permission_classes = [device_of_type("door_controller")]

    @extend_schema(responses={200: OpenApiTypes.OBJECT})
    def get(self, request):
        return Response({"commands": doors.pending_commands(request.auth)})


# --- events and gaps for staff ----------------------------------------------------------------------


class AccessEventViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = AccessEventSerializer
    permission_classes = [roles_allowed(*GAP_READERS)]
    filterset_fields = ["decision", "method", "apartment"]

    def get_queryset(self):
        qs = AccessEvent.objects.select_related("apartment", "device", "resident").order_by("-at")
        return scope_queryset(qs, self.request.user)

    @extend_schema(request=None, responses=AccessEventSerializer, summary="远程开门 (访客)")
    @action(detail=True, methods=["post"], url_path="let-in", permission_classes=[roles_allowed(*MANAGERS)])
    def let_in(self, request, pk=None):
        return Response(AccessEventSerializer(doors.access_let_in(event=self.get_object(), by=request.user)).data)


class GapsView(APIView):
    """Daily gap lists for managers and grid workers."""

    permission_classes = [roles_allowed(*GAP_READERS)]

    @extend_schema(
        parameters=[OpenApiParameter("date", OpenApiTypes.DATE, description="默认今天")],
        responses={200: OpenApiTypes.OBJECT},
    )
    def get(self, request):
        today = _date_param(request)
        blocks = apartments_for(request.user)
        return Response(
            {
                "date": today,
                "regulars_without_registration": RegularSerializer(
                    gaps.unregistered_regulars(blocks, today=today), many=True
                ).data,
                "silent_residents": SilentResidentSerializer(
                    gaps.silent_residents(blocks, today=today), many=True
                ).data,
                "tailgating": SuspiciousMovementSerializer(
                    gaps.tailgating_incidents(blocks, today=today), many=True
                ).data,
            }
        )


IsAuthenticated  # noqa: B018 - re-exported for urls that need a plain login


# --- self-service: real name, scanning a room, tenancy requests, notices ----------------------------


class RealNameView(APIView):
    """实名信息: the signed-in resident's name, ID number, hometown and (optionally) ID card photos."""

    permission_classes = [IsResident]
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    @extend_schema(
        tags=["self-service"],
        summary="实名登记 (本人)",
        request={"application/json": RealNameSerializer, "multipart/form-data": RealNameSerializer},
        responses={201: ResidentSerializer},
        examples=[
            OpenApiExample(
                "请求",
                value={"name": "张三", "id_number": "34122119950101001X", "hometown": "安徽省阜阳市临泉县"},
                request_only=True,
            )
        ],
    )
    def post(self, request):
        data = RealNameSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        photos = {
            side: data.validated_data[f"id_card_{side}"].read()
            for side in ("front", "back")
            if data.validated_data.get(f"id_card_{side}")
        }
        resident = selfservice.resident_register_self(
            user=request.user,
            name=data.validated_data["name"],
            id_number=data.validated_data["id_number"],
            hometown=data.validated_data["hometown"],
            photos=photos,
        )
        resident = Resident.objects.prefetch_related(_tenancy_prefetch()).get(pk=resident.pk)
        return Response(ResidentSerializer(resident).data, status=status.HTTP_201_CREATED)


class JourneyView(APIView):
    """Where the resident stands: each step done or not, the next step and its deadline."""

    permission_classes = [IsResident]

    @extend_schema(tags=["self-service"], summary="办理进度与下一步", responses=JourneySerializer)
    def get(self, request):
        return Response(JourneySerializer(selfservice.journey(request.user)).data)


class ScanView(APIView):
    permission_classes = [IsResident]

    @extend_schema(
        tags=["self-service"],
        summary="扫码: 看看这是哪个公寓、哪个房间",
        request=ScanSerializer,
        responses={200: ScanPreviewSerializer},
    )
    def post(self, request):
        data = ScanSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        preview = selfservice.scan_preview(data.validated_data["code"])
        return Response(ScanPreviewSerializer(preview).data)


class TenancyRequestViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """入住申请: the resident scans a room's code; the block's property staff confirm or refuse with a reason."""

    serializer_class = TenancyRequestSerializer
    permission_classes = [roles_allowed(*READERS)]
    filterset_fields = ["status"]
    lookup_value_regex = r"\d+"

    def get_queryset(self):
        qs = TenancyRequest.objects.select_related("resident", "room__apartment").order_by("-requested_at", "-id")
        return scope_queryset(qs, self.request.user, apartment_path="room__apartment", owner_path="resident__user")

    @extend_schema(
        tags=["self-service"],
        summary="扫码申请入住 (本人)",
        request=TenancyRequestCreateSerializer,
        responses={201: TenancyRequestSerializer},
        examples=[
            OpenApiExample("请求", value={"code": "http://127.0.0.1:8000/h5/#/scan?code=r12:Xy…"}, request_only=True)
        ],
    )
    def create(self, request):
        if request.user.role != Role.RESIDENT:
            raise DomainError(_("只有新市民本人可以扫码申请入住"), code="forbidden", status_code=403)
        data = TenancyRequestCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        result = selfservice.tenancy_request_create(resident=resident_of(request.user), **data.validated_data)
        return Response(TenancyRequestSerializer(result).data, status=status.HTTP_201_CREATED)

    def _manager(self):
        if not self.request.user.has_role(*MANAGERS):
            raise DomainError(_("只有公寓物业或街道可以处理入住申请"), code="forbidden", status_code=403)

    @extend_schema(tags=["self-service"], summary="确认入住 (物业): 同时自动提交居住登记",
                   request=TenancyConfirmSerializer, responses=TenancyRequestSerializer)  # fmt: skip
    @action(detail=True, methods=["post"])
    def confirm(self, request, pk=None):
        self._manager()
        tenancy_request = self.get_object()
        data = TenancyConfirmSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        result = selfservice.tenancy_request_confirm(request=tenancy_request, by=request.user, **data.validated_data)
        return Response(TenancyRequestSerializer(result).data)

    @extend_schema(
        tags=["self-service"],
        summary="拒绝入住申请 (物业, 附原因)",
        request=ReasonSerializer,
        responses=TenancyRequestSerializer,
        examples=[OpenApiExample("拒绝", value={"reason": "该房间已出租给他人, 请核对房号"})],
    )
    @action(detail=True, methods=["post"])
    def refuse(self, request, pk=None):
        self._manager()
        tenancy_request = self.get_object()  # first: another block's request is 404 whatever the body
        data = ReasonSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        result = selfservice.tenancy_request_refuse(
            request=tenancy_request, by=request.user, reason=data.validated_data["reason"]
        )
        return Response(TenancyRequestSerializer(result).data)

    @extend_schema(
        tags=["self-service"], summary="撤回入住申请 (本人)", request=None, responses=TenancyRequestSerializer
    )
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        tenancy_request = self.get_object()
        if tenancy_request.resident.user_id != request.user.pk:
            raise DomainError(_("只有申请人本人可以撤回"), code="forbidden", status_code=403)
        return Response(TenancyRequestSerializer(selfservice.tenancy_request_cancel(request=tenancy_request)).data)


class NoticeViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """The signed-in user's notices (residents and staff alike), newest first."""

    serializer_class = NoticeSerializer
    permission_classes = [IsAuthenticated]
    lookup_value_regex = r"\d+"

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # the schema generator has no user
            return Notice.objects.none()
        return Notice.objects.filter(recipient=self.request.user).order_by("-created_at", "-id")

    @extend_schema(tags=["self-service"], summary="标记已读", request=None, responses=NoticeSerializer)
    @action(detail=True, methods=["post"])
    def read(self, request, pk=None):
        return Response(NoticeSerializer(notices.notice_mark_read(notice=self.get_object())).data)
