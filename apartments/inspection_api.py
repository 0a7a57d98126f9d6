"""REST API of inspections and hazards (/api/v1/inspections/, /api/v1/hazards/, ...) for staff clients.

Same rules as the phone pages: the views parse input and call apartments.inspections / hazards.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import IsStaffRole
from apartments.coverage import missing_patrols
from apartments.hazards import hazard_rectify, hazard_review, hazards_for, overdue_hazards
from apartments.inspections import (
    Answer,
    Position,
    inspection_add_photo,
    inspection_answer,
    inspection_sign,
    inspection_start,
    inspections_for,
)
from apartments.models import (
    ChecklistItem,
    ChecklistTemplate,
    Hazard,
    HazardEvent,
    Inspection,
    InspectionKind,
    InspectionPhoto,
    InspectionResult,
    Outcome,
    Rectification,
    Severity,
)
from apartments.scoping import apartments_for
from shijiao.errors import DomainError
from shijiao.images import ImageRejected


class InspectionPhotoSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField()
    thumbnail_url = serializers.SerializerMethodField()

    class Meta:
        model = InspectionPhoto
        fields = ["id", "url", "thumbnail_url", "width", "height", "uploaded_at"]

    def get_url(self, obj: InspectionPhoto) -> str:
        return reverse("inspections:photo", args=[obj.pk, "full"])

    def get_thumbnail_url(self, obj: InspectionPhoto) -> str:
        return reverse("inspections:photo", args=[obj.pk, "thumb"])


class ChecklistItemSerializer(serializers.ModelSerializer):
    class Meta:
        model = ChecklistItem
        fields = ["id", "order", "text", "guidance", "severity"]


class ChecklistTemplateSerializer(serializers.ModelSerializer):
    items = serializers.SerializerMethodField()

    class Meta:
        model = ChecklistTemplate
        fields = ["id", "kind", "name", "description", "items"]

    def get_items(self, obj: ChecklistTemplate) -> list[dict]:
        return ChecklistItemSerializer(obj.items.filter(is_active=True), many=True).data


class ResultSerializer(serializers.ModelSerializer):
    photos = InspectionPhotoSerializer(many=True, read_only=True)

    class Meta:
        model = InspectionResult
        fields = ["id", "order", "text", "outcome", "note", "severity", "photos"]


class InspectionSerializer(serializers.ModelSerializer):
    apartment_name = serializers.CharField(source="apartment.name", read_only=True)
    inspector_name = serializers.CharField(source="inspector.__str__", read_only=True)

    class Meta:
        model = Inspection
        fields = [
            "id",
            "apartment",
            "apartment_name",
            "kind",
            "inspector",
            "inspector_name",
            "status",
            "started_at",
            "signed_at",
            "signed_name",
            "summary",
            "latitude",
            "longitude",
            "position_accuracy_m",
        ]


class InspectionDetailSerializer(InspectionSerializer):
    results = ResultSerializer(many=True, read_only=True)
    hazards = serializers.PrimaryKeyRelatedField(many=True, read_only=True)

    class Meta(InspectionSerializer.Meta):
        fields = [*InspectionSerializer.Meta.fields, "results", "hazards"]


class StartSerializer(serializers.Serializer):
    apartment = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=InspectionKind.choices)
    latitude = serializers.DecimalField(max_digits=9, decimal_places=6, required=False, allow_null=True)
    longitude = serializers.DecimalField(max_digits=9, decimal_places=6, required=False, allow_null=True)
    accuracy = serializers.IntegerField(required=False, allow_null=True, min_value=0)


class AnswerSerializer(serializers.Serializer):
    result = serializers.IntegerField()
    outcome = serializers.ChoiceField(choices=[("", "-"), *Outcome.choices], allow_blank=True)
    note = serializers.CharField(required=False, allow_blank=True, max_length=500, default="")
    severity = serializers.ChoiceField(choices=Severity.choices, required=False, allow_null=True)


class AnswersSerializer(serializers.Serializer):
    answers = AnswerSerializer(many=True)


class SignSerializer(serializers.Serializer):
    summary = serializers.CharField(required=False, allow_blank=True, max_length=2000, default="")
    latitude = serializers.DecimalField(max_digits=9, decimal_places=6, required=False, allow_null=True)
    longitude = serializers.DecimalField(max_digits=9, decimal_places=6, required=False, allow_null=True)
    accuracy = serializers.IntegerField(required=False, allow_null=True, min_value=0)


class PlainRefusals:
    """Keep the domain's own words: a refused permission says why, a bad photo says what is wrong."""

    def handle_exception(self, exc):
        if isinstance(exc, DjangoPermissionDenied) and str(exc):
            exc = exceptions.PermissionDenied(str(exc))
        elif isinstance(exc, ImageRejected):
            exc = DomainError(str(exc), code="bad_image")
        return super().handle_exception(exc)


def _position(data: dict) -> Position | None:
    return Position.parse(data.get("latitude"), data.get("longitude"), data.get("accuracy"))


class InspectionViewSet(PlainRefusals, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Inspections the caller may see; POST starts one (or resumes the caller's unfinished one)."""

    permission_classes = [IsStaffRole]
    filterset_fields = ["apartment", "kind", "status", "inspector"]
    ordering_fields = ["started_at", "signed_at"]
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    def get_queryset(self):
        qs = inspections_for(self.request.user).select_related("apartment", "inspector").order_by("-started_at")
        if self.action == "retrieve":
            qs = qs.prefetch_related("results__photos", "hazards")
        return qs

    def get_serializer_class(self):
        if self.action == "create":
            return StartSerializer
        return InspectionDetailSerializer if self.action == "retrieve" else InspectionSerializer

    def create(self, request, *args, **kwargs):
        form = StartSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        apartment = get_object_or_404(apartments_for(request.user), pk=form.validated_data["apartment"])
        inspection = inspection_start(
            apartment=apartment,
            kind=form.validated_data["kind"],
            inspector=request.user,
            position=_position(form.validated_data),
        )
        return Response(InspectionDetailSerializer(inspection).data, status=status.HTTP_201_CREATED)

    @action(detail=True, methods=["post"], serializer_class=AnswersSerializer)
    def answers(self, request, pk=None):
        inspection = self.get_object()
        form = AnswersSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        answers = {
            row["result"]: Answer(row["outcome"], row.get("note", ""), row.get("severity"))
            for row in form.validated_data["answers"]
        }
        inspection_answer(inspection=inspection, by=request.user, answers=answers)
        return Response(InspectionDetailSerializer(inspection).data)

    @action(detail=True, methods=["post"], parser_classes=[MultiPartParser, FormParser])
    def photos(self, request, pk=None):
        """Upload one photo (field ``file``), optionally of one checklist item (field ``result``)."""
        inspection = self.get_object()
        upload = request.FILES.get("file")
        if upload is None:
            raise DomainError(_("请上传照片 (字段 file)"), code="no_file")
        result = None
        if request.data.get("result"):
            result = inspection.results.filter(pk=request.data["result"]).first()
            if result is None:
                raise DomainError(_("检查项不属于这份检查"), code="bad_item")
        photo = inspection_add_photo(
            inspection=inspection, by=request.user, data=upload.read(), name=upload.name, result=result
        )
        return Response(InspectionPhotoSerializer(photo).data, status=status.HTTP_201_CREATED)

    @action(detail=True, methods=["post"], serializer_class=SignSerializer)
    def sign(self, request, pk=None):
        inspection = self.get_object()
        form = SignSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        hazards = inspection_sign(
            inspection=inspection,
            by=request.user,
            summary=form.validated_data.get("summary", ""),
            position=_position(form.validated_data),
        )
        inspection.refresh_from_db()
        body = InspectionDetailSerializer(inspection).data
        body["new_hazards"] = [h.pk for h in hazards]
        return Response(body)


class ChecklistTemplateViewSet(viewsets.ReadOnlyModelViewSet):
    """The active checklist of each kind."""

    permission_classes = [IsStaffRole]
    serializer_class = ChecklistTemplateSerializer
    filterset_fields = ["kind"]
    pagination_class = None

    def get_queryset(self):
        return ChecklistTemplate.objects.filter(is_active=True).prefetch_related("items").order_by("kind", "-id")


class RectificationSerializer(serializers.ModelSerializer):
    photos = InspectionPhotoSerializer(many=True, read_only=True)
    submitted_by = serializers.CharField(source="submitted_by.__str__", read_only=True)
    reviewed_by = serializers.CharField(source="reviewed_by.__str__", read_only=True, default=None)

    class Meta:
        model = Rectification
        fields = [
            "id",
            "description",
            "submitted_by",
            "submitted_at",
            "verdict",
            "review_note",
            "reviewed_by",
            "reviewed_at",
            "photos",
        ]


class HazardEventSerializer(serializers.ModelSerializer):
    actor = serializers.CharField(source="actor.__str__", read_only=True, default=None)

    class Meta:
        model = HazardEvent
        fields = ["action", "actor", "note", "at"]


class HazardSerializer(serializers.ModelSerializer):
    apartment_name = serializers.CharField(source="apartment.name", read_only=True)
    responsible_party = serializers.CharField(read_only=True)
    overdue = serializers.SerializerMethodField()

    class Meta:
        model = Hazard
        fields = [
            "id",
            "apartment",
            "apartment_name",
            "kind",
            "title",
            "description",
            "severity",
            "status",
            "source",
            "source_ref",
            "inspection",
            "responsible_party",
            "deadline",
            "overdue",
            "created_at",
            "times_returned",
            "escalated_at",
            "closed_at",
        ]

    def get_overdue(self, obj: Hazard) -> bool:
        return obj.is_overdue()


class HazardDetailSerializer(HazardSerializer):
    photos = serializers.SerializerMethodField()
    rectifications = RectificationSerializer(many=True, read_only=True)
    events = HazardEventSerializer(many=True, read_only=True)

    class Meta(HazardSerializer.Meta):
        fields = [*HazardSerializer.Meta.fields, "photos", "rectifications", "events"]

    def get_photos(self, obj: Hazard) -> list[dict]:
        return InspectionPhotoSerializer(obj.photos.filter(rectification__isnull=True), many=True).data


class ReviewSerializer(serializers.Serializer):
    accept = serializers.BooleanField()
    note = serializers.CharField(required=False, allow_blank=True, max_length=500, default="")
    new_deadline = serializers.DateField(required=False, allow_null=True)


class HazardViewSet(PlainRefusals, viewsets.ReadOnlyModelViewSet):
    """Hazards the caller may see; ``?overdue=true`` lists those past their deadline."""

    permission_classes = [IsStaffRole]
    filterset_fields = ["apartment", "status", "severity", "kind", "source"]
    search_fields = ["title", "apartment__name"]
    ordering_fields = ["deadline", "created_at"]

    def get_queryset(self):
        qs = hazards_for(self.request.user).select_related("apartment", "responsible_company", "responsible_enterprise")
        if self.request.query_params.get("overdue") in ("1", "true"):
            qs = overdue_hazards(qs=qs)
        if self.action == "retrieve":
            qs = qs.prefetch_related("rectifications__photos", "events__actor", "photos")
        return qs.order_by("deadline", "-id")

    def get_serializer_class(self):
        return HazardDetailSerializer if self.action == "retrieve" else HazardSerializer

    @action(detail=True, methods=["post"], parser_classes=[MultiPartParser, FormParser, JSONParser])
    def rectify(self, request, pk=None):
        """The responsible party reports the rectification: ``description`` and photos (``photos``)."""
        hazard = self.get_object()
        photos = [(f.read(), f.name) for f in request.FILES.getlist("photos")]
        hazard_rectify(hazard=hazard, by=request.user, description=request.data.get("description", ""), photos=photos)
        hazard.refresh_from_db()
        return Response(HazardDetailSerializer(hazard).data)

    @action(detail=True, methods=["post"], serializer_class=ReviewSerializer)
    def review(self, request, pk=None):
        """Re-inspection: ``accept`` true closes the hazard, false returns it (``note`` required)."""
        hazard = self.get_object()
        form = ReviewSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        hazard = hazard_review(
            hazard=hazard,
            by=request.user,
            accept=form.validated_data["accept"],
            note=form.validated_data.get("note", ""),
            new_deadline=form.validated_data.get("new_deadline"),
        )
        return Response(HazardDetailSerializer(hazard).data)


class MissingPatrolSerializer(serializers.Serializer):
    apartment = serializers.IntegerField()
    apartment_name = serializers.CharField()
    grid = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=InspectionKind.choices)
    frequency_days = serializers.IntegerField()
    last_done = serializers.DateTimeField(allow_null=True)


class CoverageSerializer(serializers.Serializer):
    date = serializers.DateField()
    count = serializers.IntegerField()
    missing = MissingPatrolSerializer(many=True)


class CoverageView(APIView):
    """Blocks missing a planned inspection on ``?date=YYYY-MM-DD`` (today by default), in the caller's scope."""

    permission_classes = [IsStaffRole]

    @extend_schema(parameters=[OpenApiParameter("date", str, description="YYYY-MM-DD")], responses=CoverageSerializer)
    def get(self, request):
        raw = request.query_params.get("date")
        day = parse_date(raw) if raw else None
        if raw and day is None:
            raise DomainError(_("日期格式应为 2026-05-20"), code="bad_date")
        day = day or timezone.localdate()
        missing = missing_patrols(day, apartments=apartments_for(request.user))
        return Response(
            {
                "date": day.isoformat(),
                "count": len(missing),
                "missing": [
                    {
                        "apartment": gap.apartment.pk,
                        "apartment_name": gap.apartment.name,
                        "grid": gap.apartment.grid_id,
                        "kind": gap.kind,
                        "frequency_days": gap.frequency_days,
                        "last_done": gap.last_done,
                    }
                    for gap in missing
                ],
            }
        )
