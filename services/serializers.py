"""Lean serializers: plain fields, names read through select_related, no per-row queries."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from services.jobs import EDITABLE_FIELDS
from services.media import signed_url
from services.models import (
    Appointment,
    Article,
    Clinic,
    ClinicDepartment,
    Facility,
    Feedback,
    FeedbackCategory,
    FeedbackReply,
    GarbageItem,
    JobApplication,
    JobPosting,
    Notice,
    RentalListing,
    RepairRequest,
    ServiceRequest,
    ViewingRequest,
)
from shijiao.images import ImageRejected, clean_image

PHONE_FIELD = {"max_length": 20, "help_text": _("联系电话 (加密保存, 列表中打码显示)")}
MAX_PHOTOS = 6


class PhotosField(serializers.ListField):
    """Uploaded photos, each checked and cleaned by shijiao.images (a bad one is a 400 naming the file)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("child", serializers.FileField())
        kwargs.setdefault("required", False)
        kwargs.setdefault("max_length", MAX_PHOTOS)
        kwargs.setdefault("write_only", True)
        kwargs.setdefault("help_text", _("照片, 最多 6 张 (JPEG/PNG/WebP)"))
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        files = super().to_internal_value(data)
        cleaned = []
        for upload in files:
            try:
                cleaned.append(clean_image(upload.read(), name=upload.name or "photo"))
            except ImageRejected as exc:
                raise serializers.ValidationError(f"{upload.name}: {exc}") from None
        return cleaned


def validate_phone(value: str) -> str:
    value = value.replace(" ", "").replace("-", "")
    if not (value.isdigit() and 7 <= len(value) <= 12):
        raise serializers.ValidationError(_("请输入有效的电话号码"))
    return value


class PhotoSerializer(serializers.Serializer):
    """Links signed for MEDIA_LINK_SECONDS (services/media.py): the client's <img> carries no bearer token."""

    image = serializers.SerializerMethodField()
    thumbnail = serializers.SerializerMethodField()
    width = serializers.IntegerField(read_only=True)
    height = serializers.IntegerField(read_only=True)

    def _link(self, file) -> str | None:
        if not file:
            return None
        url = signed_url(file.name)
        request = self.context.get("request")
        return request.build_absolute_uri(url) if request is not None else url

    @extend_schema_field(OpenApiTypes.URI)
    def get_image(self, obj) -> str | None:
        return self._link(obj.image)

    @extend_schema_field(OpenApiTypes.URI)
    def get_thumbnail(self, obj) -> str | None:
        return self._link(obj.thumbnail)


# --- jobs ----------------------------------------------------------------------------------------


class JobListSerializer(serializers.ModelSerializer):
    enterprise = serializers.CharField(source="enterprise.name", read_only=True)

    class Meta:
        model = JobPosting
        fields = [
            "id",
            "title",
            "enterprise",
            "wage_min",
            "wage_max",
            "working_hours",
            "location",
            "benefits",
            "dormitory_provided",
            "published_at",
        ]


class JobDetailSerializer(JobListSerializer):
    enterprise_industry = serializers.CharField(source="enterprise.industry", read_only=True)

    class Meta(JobListSerializer.Meta):
        fields = [
            *JobListSerializer.Meta.fields,
            "enterprise_industry",
            "description",
            "headcount",
            "contact_name",
            "contact_phone",
        ]


class EnterpriseJobSerializer(serializers.ModelSerializer):
    """What an enterprise sees and edits of its own openings, with the review outcome."""

    enterprise_name = serializers.CharField(source="enterprise.name", read_only=True)
    application_count = serializers.IntegerField(read_only=True, default=0)

    class Meta:
        model = JobPosting
        fields = [
            "id",
            "enterprise",
            "enterprise_name",
            *EDITABLE_FIELDS,  # what the enterprise may edit is the domain's rule
            "status",
            "review_note",
            "published_at",
            "created_at",
            "application_count",
        ]
        read_only_fields = ["status", "review_note", "published_at", "created_at"]

    def validate(self, attrs):
        wage_min = attrs.get("wage_min", getattr(self.instance, "wage_min", None))
        wage_max = attrs.get("wage_max", getattr(self.instance, "wage_max", None))
        if wage_min is not None and wage_max is not None and wage_max < wage_min:
            raise serializers.ValidationError({"wage_max": [_("月薪上限不能低于下限")]})
        return attrs


class JobReviewSerializer(serializers.Serializer):
    approve = serializers.BooleanField(help_text=_("true 发布, false 不通过"))
    note = serializers.CharField(max_length=255, required=False, allow_blank=True, default="")


class JobApplySerializer(serializers.Serializer):
    name = serializers.CharField(max_length=32, required=False, allow_blank=True, default="")
    phone = serializers.CharField(validators=[validate_phone], **PHONE_FIELD)
    message = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class MyApplicationSerializer(serializers.ModelSerializer):
    job = JobListSerializer(read_only=True)

    class Meta:
        model = JobApplication
        fields = ["id", "job", "status", "message", "created_at"]


class EnterpriseApplicationSerializer(serializers.ModelSerializer):
    job_title = serializers.CharField(source="job.title", read_only=True)
    phone = serializers.CharField(source="phone_masked", read_only=True)

    class Meta:
        model = JobApplication
        fields = ["id", "job", "job_title", "name", "phone", "message", "status", "created_at"]


class StatusSerializer(serializers.Serializer):
    status = serializers.CharField(max_length=16)
    reply = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


# --- housing -------------------------------------------------------------------------------------


class RentalListSerializer(serializers.ModelSerializer):
    apartment = serializers.CharField(source="apartment.name", read_only=True)
    address = serializers.CharField(source="apartment.address", read_only=True)
    room_kind_label = serializers.CharField(source="get_room_kind_display", read_only=True)
    vacant_beds = serializers.IntegerField(read_only=True)
    vacant_rooms = serializers.IntegerField(read_only=True)
    cover = serializers.SerializerMethodField()

    class Meta:
        model = RentalListing
        fields = [
            "id",
            "title",
            "apartment",
            "address",
            "room_kind",
            "room_kind_label",
            "monthly_rent",
            "deposit",
            "facilities",
            "vacant_beds",
            "vacant_rooms",
            "cover",
        ]

    def get_cover(self, obj) -> str | None:
        photos = list(obj.photos.all())  # prefetched
        return photos[0].thumbnail.url if photos else None


class RentalDetailSerializer(RentalListSerializer):
    photos = PhotoSerializer(many=True, read_only=True)
    facility_labels = serializers.SerializerMethodField()  # the facilities by name, in the viewer's language
    latitude = serializers.DecimalField(source="apartment.latitude", max_digits=9, decimal_places=6, read_only=True)
    longitude = serializers.DecimalField(source="apartment.longitude", max_digits=9, decimal_places=6, read_only=True)
    total_beds = serializers.IntegerField(read_only=True)

    class Meta(RentalListSerializer.Meta):
        fields = [
            *RentalListSerializer.Meta.fields,
            "description",
            "area_m2",
            "contact_phone",
            "total_beds",
            "facility_labels",
            "latitude",
            "longitude",
            "photos",
        ]

    def get_facility_labels(self, obj) -> list[str]:
        labels = dict(Facility.choices)
        return [str(labels[code]) for code in obj.facilities if code in labels]


class ManagedRentalSerializer(serializers.ModelSerializer):
    facilities = serializers.ListField(
        child=serializers.ChoiceField(choices=Facility.choices), required=False, default=list
    )
    vacant_beds = serializers.IntegerField(read_only=True, default=None)
    photos = PhotoSerializer(many=True, read_only=True)

    class Meta:
        model = RentalListing
        fields = [
            "id",
            "apartment",
            "room_kind",
            "title",
            "description",
            "monthly_rent",
            "deposit",
            "area_m2",
            "facilities",
            "contact_phone",
            "is_active",
            "vacant_beds",
            "photos",
        ]


class ViewingCreateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=32, required=False, allow_blank=True, default="")
    phone = serializers.CharField(validators=[validate_phone], **PHONE_FIELD)
    preferred_time = serializers.DateTimeField()
    message = serializers.CharField(max_length=255, required=False, allow_blank=True, default="")


class ViewingSerializer(serializers.ModelSerializer):
    listing_title = serializers.CharField(source="listing.title", read_only=True)
    apartment = serializers.CharField(source="listing.apartment.name", read_only=True)
    phone = serializers.CharField(source="phone_masked", read_only=True)

    class Meta:
        model = ViewingRequest
        fields = [
            "id",
            "listing",
            "listing_title",
            "apartment",
            "name",
            "phone",
            "preferred_time",
            "message",
            "status",
            "reply",
            "created_at",
        ]


# --- doctors -------------------------------------------------------------------------------------


class ClinicDepartmentSerializer(serializers.ModelSerializer):
    class Meta:
        model = ClinicDepartment
        fields = ["id", "name", "hours", "description"]


class ClinicSerializer(serializers.ModelSerializer):
    kind_label = serializers.CharField(source="get_kind_display", read_only=True)
    distance_m = serializers.IntegerField(read_only=True, default=None, help_text=_("传入 lat/lon 时的距离 (米)"))

    class Meta:
        model = Clinic
        fields = [
            "id",
            "name",
            "kind",
            "kind_label",
            "address",
            "latitude",
            "longitude",
            "phone",
            "opening_hours",
            "insurance",
            "accepts_appointments",
            "distance_m",
        ]


class ClinicDetailSerializer(ClinicSerializer):
    departments = ClinicDepartmentSerializer(many=True, read_only=True)

    class Meta(ClinicSerializer.Meta):
        fields = [*ClinicSerializer.Meta.fields, "departments"]


class AppointmentCreateSerializer(serializers.Serializer):
    department = serializers.IntegerField(required=False, allow_null=True)
    name = serializers.CharField(max_length=32, required=False, allow_blank=True, default="")
    phone = serializers.CharField(validators=[validate_phone], **PHONE_FIELD)
    date = serializers.DateField()
    period = serializers.ChoiceField(choices=Appointment.Period.choices)
    symptoms = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class AppointmentSerializer(serializers.ModelSerializer):
    clinic_name = serializers.CharField(source="clinic.name", read_only=True)
    department_name = serializers.CharField(source="department.name", read_only=True, default=None)
    phone = serializers.CharField(source="phone_masked", read_only=True)

    class Meta:
        model = Appointment
        fields = [
            "id",
            "clinic",
            "clinic_name",
            "department_name",
            "name",
            "phone",
            "date",
            "period",
            "symptoms",
            "status",
            "reply",
            "created_at",
        ]


# --- guides and requests -------------------------------------------------------------------------


class ArticleListSerializer(serializers.ModelSerializer):
    module_label = serializers.CharField(source="get_module_display", read_only=True)

    class Meta:
        model = Article
        fields = ["id", "module", "module_label", "title", "summary", "request_kind", "updated_at"]


class ArticleDetailSerializer(ArticleListSerializer):
    class Meta(ArticleListSerializer.Meta):
        fields = [*ArticleListSerializer.Meta.fields, "body", "documents"]


class ServiceRequestCreateSerializer(serializers.Serializer):
    article = serializers.PrimaryKeyRelatedField(queryset=Article.objects.filter(is_published=True))
    name = serializers.CharField(max_length=32, required=False, allow_blank=True, default="")
    phone = serializers.CharField(validators=[validate_phone], **PHONE_FIELD)
    details = serializers.CharField(max_length=2000)
    provided = serializers.ListField(child=serializers.CharField(max_length=64), required=False, default=list)
    photos = PhotosField()


class ServiceRequestSerializer(serializers.ModelSerializer):
    module_label = serializers.CharField(source="get_module_display", read_only=True)
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    phone = serializers.CharField(source="phone_masked", read_only=True)
    photos = PhotoSerializer(many=True, read_only=True)

    class Meta:
        model = ServiceRequest
        fields = [
            "id",
            "reference",
            "module",
            "module_label",
            "kind",
            "name",
            "phone",
            "details",
            "documents",
            "status",
            "status_label",
            "staff_note",
            "photos",
            "created_at",
            "updated_at",
        ]


# --- convenience ---------------------------------------------------------------------------------


class NoticeSerializer(serializers.ModelSerializer):
    apartment = serializers.CharField(source="apartment.name", read_only=True, default=None)

    class Meta:
        model = Notice
        fields = ["id", "title", "body", "apartment", "is_pinned", "published_at", "expires_at"]


class RepairCreateSerializer(serializers.Serializer):
    category = serializers.ChoiceField(choices=RepairRequest.Category.choices)
    description = serializers.CharField(max_length=1000)
    phone = serializers.CharField(validators=[validate_phone], **PHONE_FIELD)
    photos = PhotosField()


class RepairSerializer(serializers.ModelSerializer):
    apartment_name = serializers.CharField(source="apartment.name", read_only=True)
    category_label = serializers.CharField(source="get_category_display", read_only=True)
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    phone = serializers.CharField(source="phone_masked", read_only=True)
    photos = PhotoSerializer(many=True, read_only=True)

    class Meta:
        model = RepairRequest
        fields = [
            "id",
            "apartment",
            "apartment_name",
            "room_number",
            "category",
            "category_label",
            "description",
            "phone",
            "status",
            "status_label",
            "reply",
            "photos",
            "created_at",
            "resolved_at",
        ]


class GarbageItemSerializer(serializers.ModelSerializer):
    category_label = serializers.CharField(source="get_category_display", read_only=True)

    class Meta:
        model = GarbageItem
        fields = ["id", "name", "category", "category_label", "tip"]


# --- feedback ------------------------------------------------------------------------------------


class FeedbackCategorySerializer(serializers.ModelSerializer):
    route_label = serializers.CharField(source="get_route_to_display", read_only=True)

    class Meta:
        model = FeedbackCategory
        fields = ["id", "name", "route_to", "route_label", "response_hours"]


class FeedbackCreateSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=Feedback.Kind.choices, default=Feedback.Kind.QUESTION)
    category = serializers.PrimaryKeyRelatedField(queryset=FeedbackCategory.objects.filter(is_active=True))
    title = serializers.CharField(max_length=64)
    body = serializers.CharField(max_length=2000)
    is_public = serializers.BooleanField(default=True)
    is_anonymous = serializers.BooleanField(default=False)
    photos = PhotosField()


class ReplySerializer(serializers.ModelSerializer):
    author = serializers.SerializerMethodField()

    class Meta:
        model = FeedbackReply
        fields = ["id", "from_staff", "author", "body", "created_at"]

    def get_author(self, reply) -> str:
        if reply.from_staff:
            return str(_("工作人员")) + (f" · {reply.author.display_name}" if reply.author.display_name else "")
        return str(_("留言人"))


class FeedbackListSerializer(serializers.ModelSerializer):
    category = serializers.CharField(source="category.name", read_only=True)
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    author = serializers.CharField(source="public_author", read_only=True)

    class Meta:
        model = Feedback
        fields = ["id", "kind", "category", "title", "author", "status", "status_label", "created_at"]


class FeedbackThreadSerializer(FeedbackListSerializer):
    """The thread as its author or other residents see it: who answers, the deadline, replies, photos."""

    route_label = serializers.CharField(source="get_route_to_display", read_only=True)
    replies = ReplySerializer(many=True, read_only=True)
    photos = PhotoSerializer(many=True, read_only=True)

    class Meta(FeedbackListSerializer.Meta):
        fields = [
            *FeedbackListSerializer.Meta.fields,
            "body",
            "route_label",
            "is_public",
            "is_anonymous",
            "due_at",
            "first_response_at",
            "rating",
            "rating_comment",
            "replies",
            "photos",
        ]


class StaffFeedbackSerializer(FeedbackThreadSerializer):
    author = serializers.CharField(source="author_name", read_only=True)
    apartment = serializers.CharField(source="apartment.name", read_only=True, default=None)
    is_overdue = serializers.BooleanField(read_only=True)

    class Meta(FeedbackThreadSerializer.Meta):
        fields = [*FeedbackThreadSerializer.Meta.fields, "apartment", "department", "escalated_at", "is_overdue"]


class ReplyCreateSerializer(serializers.Serializer):
    body = serializers.CharField(max_length=2000)


class RatingSerializer(serializers.Serializer):
    rating = serializers.IntegerField(min_value=1, max_value=5)
    comment = serializers.CharField(max_length=255, required=False, allow_blank=True, default="")
