"""The mini-program API of the service modules: entry points only parse input and call the domain."""

from __future__ import annotations

from django.db.models import Count, Prefetch
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import filters, mixins, permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from accounts.audit import Purpose, audit_pii_read
from accounts.models import ReadPurpose, Role
from accounts.permissions import IsResident, roles_allowed
from apartments.scoping import scope_queryset
from services import convenience, doctors, feedback, housing, jobs, service_requests
from services import serializers as s
from services.cache import cached, cached_value
from services.filters import ClinicFilter, JobFilter, RentalFilter
from services.models import (
    Appointment,
    Article,
    Clinic,
    ClinicDepartment,
    Feedback,
    FeedbackCategory,
    FeedbackReply,
    GarbageItem,
    JobApplication,
    JobPosting,
    Notice,
    RentalListing,
    RentalPhoto,
    RepairRequest,
    ServiceRequest,
    ViewingRequest,
)
from services.residence import home_apartment
from shijiao.api import PUBLIC_THROTTLES, THROTTLES, CursorPage, LazyAuthenticationMixin
from shijiao.errors import DomainError

SEARCH = [DjangoFilterBackend, filters.SearchFilter]
IsStreet = roles_allowed(Role.STREET_ADMIN)
IsEnterprise = roles_allowed(Role.ENTERPRISE, Role.STREET_ADMIN)
IsPropertyManager = roles_allowed(Role.PROPERTY_MANAGER, Role.STREET_ADMIN)
FeedbackStaff = roles_allowed(Role.STREET_ADMIN, Role.PROPERTY_MANAGER, Role.INSPECTOR, Role.GRID_WORKER)
UPLOADS = [MultiPartParser, FormParser, JSONParser]


class Api:
    """Throttled, cursor-paginated, searchable: what every resident-facing viewset shares."""

    throttle_classes = THROTTLES
    pagination_class = CursorPage
    filter_backends = SEARCH


class CachedReadMixin(LazyAuthenticationMixin):
    """Serve list and detail of public data from the cache as rendered JSON (see services.cache).

    Throttled per client IP and authenticated lazily: a cache hit costs no database query at all.
    Actions that need the user (apply, save...) set their own permission and throttle classes.
    """

    cache_namespace = ""
    throttle_classes = PUBLIC_THROTTLES

    def cache_vary(self) -> str:
        return ""

    def _cached(self, build) -> HttpResponse:
        def render() -> bytes:
            response = build()
            return JSONRenderer().render(response.data)

        body = cached(self.cache_namespace, self.request, render, vary=self.cache_vary())
        return HttpResponse(body, content_type="application/json")

    def list(self, request, *args, **kwargs):
        return self._cached(lambda: super(CachedReadMixin, self).list(request, *args, **kwargs))

    def retrieve(self, request, *args, **kwargs):
        if not hasattr(super(), "retrieve"):  # list-only viewsets: the router still routes /<pk>/ to this method
            raise Http404
        return self._cached(lambda: super(CachedReadMixin, self).retrieve(request, *args, **kwargs))


def _body(serializer_class, request):
    data = serializer_class(data=request.data)
    data.is_valid(raise_exception=True)
    return data.validated_data


# --- 找工作 jobs ------------------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(tags=["jobs"], summary="找工作: 已发布岗位 (搜索 search=, 筛选 wage_from= dormitory=)"),
    retrieve=extend_schema(tags=["jobs"], summary="岗位详情"),
)
class JobViewSet(CachedReadMixin, Api, viewsets.ReadOnlyModelViewSet):
    queryset = JobPosting.objects.none()  # for the schema; rows come from get_queryset
    permission_classes = [permissions.AllowAny]
    filterset_class = JobFilter
    search_fields = ["title", "enterprise__name", "location", "benefits"]
    cache_namespace = "jobs"

    def get_queryset(self):
        return JobPosting.objects.filter(status=JobPosting.Status.PUBLISHED).select_related("enterprise")

    def get_serializer_class(self):
        return s.JobDetailSerializer if self.action == "retrieve" else s.JobListSerializer

    @extend_schema(
        tags=["jobs"],
        summary="投递简历",
        request=s.JobApplySerializer,
        responses={201: s.MyApplicationSerializer},
        examples=[
            OpenApiExample("请求", value={"phone": "19900000001", "message": "有3年缝纫经验"}, request_only=True)
        ],
    )
    @action(detail=True, methods=["post"], permission_classes=[IsResident], throttle_classes=THROTTLES)
    def apply(self, request, pk=None):
        job = get_object_or_404(JobPosting, pk=pk)
        application = jobs.job_apply(job=job, by=request.user, **_body(s.JobApplySerializer, request))
        return Response(s.MyApplicationSerializer(application).data, status=status.HTTP_201_CREATED)


@extend_schema_view(
    list=extend_schema(tags=["jobs"], summary="我的求职申请"),
    retrieve=extend_schema(tags=["jobs"], summary="我的求职申请详情"),
)
class MyApplicationViewSet(Api, viewsets.ReadOnlyModelViewSet):
    queryset = JobApplication.objects.none()  # for the schema; rows come from get_queryset
    permission_classes = [IsResident]
    serializer_class = s.MyApplicationSerializer

    def get_queryset(self):
        return JobApplication.objects.filter(applicant=self.request.user).select_related("job__enterprise")

    @extend_schema(tags=["jobs"], summary="撤回申请", request=None, responses={200: s.MyApplicationSerializer})
    @action(detail=True, methods=["post"])
    def withdraw(self, request, pk=None):
        application = jobs.application_withdraw(application=self.get_object(), by=request.user)
        return Response(s.MyApplicationSerializer(application).data)


@extend_schema_view(
    list=extend_schema(tags=["jobs · enterprise"], summary="本企业的岗位 (含审核状态)"),
    create=extend_schema(tags=["jobs · enterprise"], summary="发布岗位 (提交街道审核)"),
    retrieve=extend_schema(tags=["jobs · enterprise"], summary="本企业岗位详情"),
    update=extend_schema(tags=["jobs · enterprise"], summary="修改岗位 (重新审核)"),
    partial_update=extend_schema(tags=["jobs · enterprise"], summary="修改岗位 (重新审核)"),
)
class EnterpriseJobViewSet(
    Api,
    mixins.ListModelMixin,
    mixins.CreateModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    queryset = JobPosting.objects.none()  # for the schema; rows come from get_queryset
    permission_classes = [IsEnterprise]
    serializer_class = s.EnterpriseJobSerializer
    filterset_fields = ["status", "enterprise"]
    search_fields = ["title"]

    def get_queryset(self):
        return (
            jobs.jobs_managed_by(self.request.user)
            .select_related("enterprise")
            .annotate(application_count=Count("applications"))
        )

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        serializer.instance = jobs.job_submit(by=self.request.user, **data)

    def perform_update(self, serializer):
        serializer.instance = jobs.job_update(
            job=serializer.instance, by=self.request.user, **serializer.validated_data
        )

    @extend_schema(
        tags=["jobs · enterprise"], summary="关闭岗位", request=None, responses={200: s.EnterpriseJobSerializer}
    )
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        job = jobs.job_close(job=self.get_object(), by=request.user)
        return Response(s.EnterpriseJobSerializer(job).data)


@extend_schema_view(
    list=extend_schema(tags=["jobs · enterprise"], summary="收到的求职申请 (电话打码)"),
    retrieve=extend_schema(tags=["jobs · enterprise"], summary="求职申请详情"),
)
class EnterpriseApplicationViewSet(Api, viewsets.ReadOnlyModelViewSet):
    queryset = JobApplication.objects.none()  # for the schema; rows come from get_queryset
    permission_classes = [IsEnterprise]
    serializer_class = s.EnterpriseApplicationSerializer
    filterset_fields = ["job", "status"]

    def get_queryset(self):
        return JobApplication.objects.filter(job__in=jobs.jobs_managed_by(self.request.user)).select_related("job")

    @extend_schema(tags=["jobs · enterprise"], summary="更新申请状态", request=s.StatusSerializer)
    @action(detail=True, methods=["post"])
    def status(self, request, pk=None):
        body = _body(s.StatusSerializer, request)
        application = jobs.application_set_status(application=self.get_object(), by=request.user, status=body["status"])
        return Response(s.EnterpriseApplicationSerializer(application).data)

    @extend_schema(
        tags=["jobs · enterprise"],
        summary="查看求职者完整电话 (留审计记录)",
        responses={200: OpenApiTypes.OBJECT},
        examples=[OpenApiExample("完整电话", value={"phone": "19900000001"}, response_only=True)],
    )
    @action(detail=True, methods=["get"])
    def contact(self, request, pk=None):
        application = self.get_object()
        audit_pii_read(
            actor=request.user,
            target=application,
            fields=["phone"],
            purpose=Purpose(ReadPurpose.JOB_APPLICATION),
            request=request,
        )
        if application.status == JobApplication.Status.SUBMITTED:
            jobs.application_set_status(application=application, by=request.user, status=JobApplication.Status.VIEWED)
        return Response({"phone": application.phone})


@extend_schema_view(list=extend_schema(tags=["jobs · street"], summary="待审核岗位"))
class JobReviewViewSet(Api, viewsets.ReadOnlyModelViewSet):
    queryset = JobPosting.objects.none()  # for the schema; rows come from get_queryset
    permission_classes = [IsStreet]
    serializer_class = s.EnterpriseJobSerializer
    filterset_fields = ["status"]

    def get_queryset(self):
        return JobPosting.objects.filter(status=JobPosting.Status.PENDING).select_related("enterprise")

    @extend_schema(
        tags=["jobs · street"],
        summary="审核岗位: 发布或不通过",
        request=s.JobReviewSerializer,
        responses={200: s.EnterpriseJobSerializer},
        examples=[OpenApiExample("不通过", value={"approve": False, "note": "工资范围不明确"}, request_only=True)],
    )
    @action(detail=True, methods=["post"])
    def decide(self, request, pk=None):
        body = _body(s.JobReviewSerializer, request)
        job = jobs.job_review(job=self.get_object(), by=request.user, **body)
        return Response(s.EnterpriseJobSerializer(job).data)


# --- 找住房 housing ---------------------------------------------------------------------------------


def _rentals():
    return housing.with_vacancy(
        RentalListing.objects.filter(is_active=True)
        .select_related("apartment")
        .prefetch_related(Prefetch("photos", queryset=RentalPhoto.objects.order_by("id")))
    )


@extend_schema_view(
    list=extend_schema(tags=["housing"], summary="找住房: 房源 (空床位按真实入住计算)"),
    retrieve=extend_schema(tags=["housing"], summary="房源详情"),
)
class RentalViewSet(CachedReadMixin, Api, viewsets.ReadOnlyModelViewSet):
    queryset = RentalListing.objects.none()  # for the schema; rows come from get_queryset
    permission_classes = [permissions.AllowAny]
    filterset_class = RentalFilter
    search_fields = ["title", "apartment__name", "apartment__address"]
    cache_namespace = "rentals"

    def get_queryset(self):
        return _rentals()

    def get_serializer_class(self):
        return s.RentalDetailSerializer if self.action == "retrieve" else s.RentalListSerializer

    @extend_schema(tags=["housing"], summary="收藏 (POST) / 取消收藏 (DELETE)", request=None, responses={204: None})
    @action(detail=True, methods=["post", "delete"], permission_classes=[IsResident], throttle_classes=THROTTLES)
    def save(self, request, pk=None):
        listing = get_object_or_404(RentalListing, pk=pk, is_active=True)
        if request.method == "DELETE":
            housing.listing_unsave(listing=listing, by=request.user)
        else:
            housing.listing_save(listing=listing, by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        tags=["housing"],
        summary="预约看房",
        request=s.ViewingCreateSerializer,
        responses={201: s.ViewingSerializer},
        examples=[
            OpenApiExample(
                "请求", value={"phone": "19900000001", "preferred_time": "2026-03-02T18:30:00+08:00"}, request_only=True
            )
        ],
    )
    @action(detail=True, methods=["post"], permission_classes=[IsResident], throttle_classes=THROTTLES)
    def viewings(self, request, pk=None):
        listing = get_object_or_404(RentalListing, pk=pk)
        viewing = housing.viewing_request(listing=listing, by=request.user, **_body(s.ViewingCreateSerializer, request))
        return Response(s.ViewingSerializer(viewing).data, status=status.HTTP_201_CREATED)


@extend_schema_view(list=extend_schema(tags=["housing"], summary="我收藏的房源"))
class SavedRentalViewSet(Api, mixins.ListModelMixin, viewsets.GenericViewSet):
    queryset = RentalListing.objects.none()  # for the schema; rows come from get_queryset
    permission_classes = [IsResident]
    serializer_class = s.RentalListSerializer

    def get_queryset(self):
        return _rentals().filter(saved_by__user=self.request.user)


@extend_schema_view(list=extend_schema(tags=["housing"], summary="我的看房预约"))
class MyViewingViewSet(Api, viewsets.ReadOnlyModelViewSet):
    queryset = ViewingRequest.objects.none()  # for the schema; rows come from get_queryset
    permission_classes = [IsResident]
    serializer_class = s.ViewingSerializer

    def get_queryset(self):
        return ViewingRequest.objects.filter(user=self.request.user).select_related("listing__apartment")


@extend_schema_view(
    list=extend_schema(tags=["housing · property"], summary="本物业的房源"),
    create=extend_schema(tags=["housing · property"], summary="发布房源"),
    retrieve=extend_schema(tags=["housing · property"], summary="房源"),
    update=extend_schema(tags=["housing · property"], summary="修改房源"),
    partial_update=extend_schema(tags=["housing · property"], summary="修改房源 / 上下架"),
)
class ManagedRentalViewSet(
    Api,
    mixins.ListModelMixin,
    mixins.CreateModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    queryset = RentalListing.objects.none()  # for the schema; rows come from get_queryset
    permission_classes = [IsPropertyManager]
    serializer_class = s.ManagedRentalSerializer
    filterset_fields = ["apartment", "is_active", "room_kind"]

    def get_queryset(self):
        qs = RentalListing.objects.select_related("apartment").prefetch_related("photos")
        return housing.with_vacancy(scope_queryset(qs, self.request.user))

    def perform_create(self, serializer):
        serializer.instance = housing.listing_create(by=self.request.user, **serializer.validated_data)

    def perform_update(self, serializer):
        serializer.instance = housing.listing_update(
            listing=serializer.instance, by=self.request.user, **serializer.validated_data
        )

    @extend_schema(
        tags=["housing · property"],
        summary="上传房源照片",
        request={
            "multipart/form-data": {"type": "object", "properties": {"file": {"type": "string", "format": "binary"}}}
        },
        responses={201: s.PhotoSerializer},
    )
    @action(detail=True, methods=["post"], parser_classes=[MultiPartParser])
    def photos(self, request, pk=None):
        listing = self.get_object()
        upload = request.FILES.get("file")
        if upload is None:
            raise DomainError(_("请选择要上传的图片 (字段 file)"), code="file_required")
        row = housing.listing_photo_add(listing=listing, content=upload.read(), name=upload.name)
        return Response(s.PhotoSerializer(row).data, status=status.HTTP_201_CREATED)


@extend_schema_view(list=extend_schema(tags=["housing · property"], summary="看房预约 (本物业房源)"))
class ManagedViewingViewSet(Api, viewsets.ReadOnlyModelViewSet):
    queryset = ViewingRequest.objects.none()  # for the schema; rows come from get_queryset
    permission_classes = [IsPropertyManager]
    serializer_class = s.ViewingSerializer
    filterset_fields = ["status", "listing"]

    def get_queryset(self):
        qs = ViewingRequest.objects.select_related("listing__apartment")
        return scope_queryset(qs, self.request.user, apartment_path="listing__apartment")

    @extend_schema(tags=["housing · property"], summary="答复看房预约", request=s.StatusSerializer)
    @action(detail=True, methods=["post"])
    def answer(self, request, pk=None):
        body = _body(s.StatusSerializer, request)
        viewing = housing.viewing_answer(viewing=self.get_object(), by=request.user, **body)
        return Response(s.ViewingSerializer(viewing).data)


# --- 找医生 doctors ---------------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(
        tags=["doctors"],
        summary="找医生: 医疗机构 (传 lat/lon 按距离由近到远)",
        parameters=[
            OpenApiParameter("lat", OpenApiTypes.FLOAT, description="纬度"),
            OpenApiParameter("lon", OpenApiTypes.FLOAT, description="经度"),
        ],
    ),
    retrieve=extend_schema(tags=["doctors"], summary="医疗机构详情 (含科室)"),
)
class ClinicViewSet(CachedReadMixin, Api, viewsets.ReadOnlyModelViewSet):
    queryset = Clinic.objects.none()  # for the schema; rows come from get_queryset
    permission_classes = [permissions.AllowAny]
    pagination_class = None
    filterset_class = ClinicFilter
    search_fields = ["name", "address", "departments__name"]
    cache_namespace = "clinics"

    def _position(self) -> tuple[float, float] | None:
        lat, lon = self.request.query_params.get("lat"), self.request.query_params.get("lon")
        if lat is None and lon is None:
            return None
        try:
            lat_f, lon_f = float(lat), float(lon)
        except (TypeError, ValueError):
            raise DomainError(_("lat 和 lon 须同时给出, 且为数字"), code="invalid_position") from None
        if not (-90 <= lat_f <= 90 and -180 <= lon_f <= 180):
            raise DomainError(_("经纬度超出范围"), code="invalid_position")
        return lat_f, lon_f

    def get_queryset(self):
        qs = Clinic.objects.filter(is_active=True)
        if self.action == "retrieve":
            return qs.prefetch_related("departments")
        position = self._position()
        return doctors.nearest_first(qs, *position) if position else qs.order_by("name")

    def get_serializer_class(self):
        return s.ClinicDetailSerializer if self.action == "retrieve" else s.ClinicSerializer

    def list(self, request, *args, **kwargs):
        position = self._position()

        def build():
            clinics = list(self.filter_queryset(self.get_queryset()).distinct()[:50])
            if position:
                for clinic in clinics:
                    clinic.distance_m = doctors.distance_m(*position, float(clinic.latitude), float(clinic.longitude))
            return Response(s.ClinicSerializer(clinics, many=True).data)

        return self._cached(build)

    @extend_schema(
        tags=["doctors"],
        summary="预约挂号",
        request=s.AppointmentCreateSerializer,
        responses={201: s.AppointmentSerializer},
    )
    @action(detail=True, methods=["post"], permission_classes=[IsResident], throttle_classes=THROTTLES)
    def appointments(self, request, pk=None):
        clinic = get_object_or_404(Clinic, pk=pk)
        body = _body(s.AppointmentCreateSerializer, request)
        department = None
        if body.get("department"):
            department = ClinicDepartment.objects.filter(pk=body["department"]).first()
            if department is None:
                raise DomainError(_("科室不存在"), code="invalid_department")
        appointment = doctors.appointment_request(
            clinic=clinic,
            by=request.user,
            day=body["date"],
            period=body["period"],
            phone=body["phone"],
            department=department,
            symptoms=body["symptoms"],
            name=body["name"],
        )
        return Response(s.AppointmentSerializer(appointment).data, status=status.HTTP_201_CREATED)


@extend_schema_view(list=extend_schema(tags=["doctors"], summary="我的预约"))
class MyAppointmentViewSet(Api, viewsets.ReadOnlyModelViewSet):
    queryset = Appointment.objects.none()  # for the schema; rows come from get_queryset
    permission_classes = [IsResident]
    serializer_class = s.AppointmentSerializer

    def get_queryset(self):
        return Appointment.objects.filter(user=self.request.user).select_related("clinic", "department")

    @extend_schema(tags=["doctors"], summary="取消预约", request=None, responses={200: s.AppointmentSerializer})
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        appointment = doctors.appointment_cancel(appointment=self.get_object(), by=request.user)
        return Response(s.AppointmentSerializer(appointment).data)


# --- 社保 / 子女入学 / 法律援助 guides and requests ----------------------------------------------------


@extend_schema_view(
    list=extend_schema(tags=["guides"], summary="办事指南 (module=social_security|schooling|legal_aid|convenience)"),
    retrieve=extend_schema(tags=["guides"], summary="指南正文与材料清单"),
)
class ArticleViewSet(CachedReadMixin, Api, viewsets.ReadOnlyModelViewSet):
    queryset = Article.objects.none()  # for the schema; rows come from get_queryset
    permission_classes = [permissions.AllowAny]
    pagination_class = None
    filterset_fields = ["module"]
    search_fields = ["title", "summary", "body"]
    cache_namespace = "articles"

    def get_queryset(self):
        return Article.objects.filter(is_published=True)

    def get_serializer_class(self):
        return s.ArticleDetailSerializer if self.action == "retrieve" else s.ArticleListSerializer


@extend_schema_view(
    list=extend_schema(tags=["guides"], summary="我的办事申请"),
    retrieve=extend_schema(tags=["guides"], summary="办事申请进度"),
    create=extend_schema(
        tags=["guides"], summary="提交办事申请 (可附材料照片)", request=s.ServiceRequestCreateSerializer
    ),
)
class MyServiceRequestViewSet(Api, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    queryset = ServiceRequest.objects.none()  # for the schema; rows come from get_queryset
    permission_classes = [IsResident]
    parser_classes = UPLOADS

    def get_queryset(self):
        return ServiceRequest.objects.filter(user=self.request.user).prefetch_related("photos")

    def get_serializer_class(self):
        return s.ServiceRequestCreateSerializer if self.action == "create" else s.ServiceRequestSerializer

    def create(self, request, *args, **kwargs):
        body = _body(s.ServiceRequestCreateSerializer, request)
        row = service_requests.service_request_submit(by=request.user, **body)
        return Response(s.ServiceRequestSerializer(row).data, status=status.HTTP_201_CREATED)


@extend_schema_view(list=extend_schema(tags=["guides · staff"], summary="办事申请 (街道经办)"))
class ManagedServiceRequestViewSet(Api, viewsets.ReadOnlyModelViewSet):
    queryset = ServiceRequest.objects.none()  # for the schema; rows come from get_queryset
    permission_classes = [IsStreet]
    serializer_class = s.ServiceRequestSerializer
    filterset_fields = ["module", "status"]

    def get_queryset(self):
        return ServiceRequest.objects.prefetch_related("photos")

    @extend_schema(
        tags=["guides · staff"], summary="办理: 受理 / 需补充材料 / 办结 / 不予受理", request=s.StatusSerializer
    )
    @action(detail=True, methods=["post"])
    def handle(self, request, pk=None):
        body = _body(s.StatusSerializer, request)
        row = service_requests.service_request_handle(
            request=self.get_object(), by=request.user, status=body["status"], note=body["reply"]
        )
        return Response(s.ServiceRequestSerializer(row).data)


# --- 便民 convenience ---------------------------------------------------------------------------------


@extend_schema_view(list=extend_schema(tags=["convenience"], summary="通知公告 (全街道 + 我所住公寓)"))
class NoticeViewSet(CachedReadMixin, Api, mixins.ListModelMixin, viewsets.GenericViewSet):
    queryset = Notice.objects.none()  # for the schema; rows come from get_queryset
    permission_classes = [permissions.AllowAny]
    serializer_class = s.NoticeSerializer
    pagination_class = None
    filter_backends: list = []
    cache_namespace = "notices"

    def _apartment_id(self) -> int | None:
        if not hasattr(self, "_home"):
            user = self.request.user
            self._home = None
            if user.is_authenticated:
                # Cached per user under the notices version, which every tenancy change bumps.
                self._home = cached_value("notices", f"home:{user.pk}", lambda: getattr(home_apartment(user), "pk", 0))
        return self._home or None

    def cache_vary(self) -> str:
        return str(self._apartment_id() or "")

    def get_queryset(self):
        return convenience.notices_for(self._apartment_id())[:50]


@extend_schema_view(
    list=extend_schema(tags=["convenience"], summary="我的报修"),
    retrieve=extend_schema(tags=["convenience"], summary="报修进度"),
    create=extend_schema(
        tags=["convenience"], summary="报修 (可附照片, 自动转给所住公寓物业)", request=s.RepairCreateSerializer
    ),
)
class MyRepairViewSet(Api, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    queryset = RepairRequest.objects.none()  # for the schema; rows come from get_queryset
    permission_classes = [IsResident]
    parser_classes = UPLOADS

    def get_queryset(self):
        return (
            RepairRequest.objects.filter(user=self.request.user).select_related("apartment").prefetch_related("photos")
        )

    def get_serializer_class(self):
        return s.RepairCreateSerializer if self.action == "create" else s.RepairSerializer

    def create(self, request, *args, **kwargs):
        repair = convenience.repair_submit(by=request.user, **_body(s.RepairCreateSerializer, request))
        return Response(s.RepairSerializer(repair).data, status=status.HTTP_201_CREATED)

    @extend_schema(tags=["convenience"], summary="取消报修", request=None, responses={200: s.RepairSerializer})
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        repair = convenience.repair_update(
            repair=self.get_object(), by=request.user, status=RepairRequest.Status.CANCELLED
        )
        return Response(s.RepairSerializer(repair).data)


@extend_schema_view(list=extend_schema(tags=["convenience · property"], summary="报修单 (本物业公寓)"))
class ManagedRepairViewSet(Api, viewsets.ReadOnlyModelViewSet):
    queryset = RepairRequest.objects.none()  # for the schema; rows come from get_queryset
    permission_classes = [IsPropertyManager]
    serializer_class = s.RepairSerializer
    filterset_fields = ["status", "apartment", "category"]

    def get_queryset(self):
        qs = RepairRequest.objects.select_related("apartment").prefetch_related("photos")
        return scope_queryset(qs, self.request.user)

    @extend_schema(tags=["convenience · property"], summary="更新维修状态并回复", request=s.StatusSerializer)
    @action(detail=True, methods=["post"])
    def progress(self, request, pk=None):
        body = _body(s.StatusSerializer, request)
        repair = convenience.repair_update(
            repair=self.get_object(), by=request.user, status=body["status"], reply=body["reply"]
        )
        return Response(s.RepairSerializer(repair).data)


@extend_schema_view(list=extend_schema(tags=["convenience"], summary="垃圾分类查询 (search=物品名)"))
class GarbageItemViewSet(CachedReadMixin, Api, mixins.ListModelMixin, viewsets.GenericViewSet):
    queryset = GarbageItem.objects.none()  # for the schema; rows come from get_queryset
    permission_classes = [permissions.AllowAny]
    serializer_class = s.GarbageItemSerializer
    pagination_class = None
    filterset_fields = ["category"]
    search_fields = ["name"]
    cache_namespace = "garbage"

    def get_queryset(self):
        return GarbageItem.objects.all()

    def list(self, request, *args, **kwargs):
        return self._cached(
            lambda: Response(self.get_serializer(self.filter_queryset(self.get_queryset())[:100], many=True).data)
        )


# --- 咨询留言、反馈问题 feedback -------------------------------------------------------------------------


@extend_schema_view(list=extend_schema(tags=["feedback"], summary="留言类别 (决定转交对象与答复时限)"))
class FeedbackCategoryViewSet(CachedReadMixin, Api, mixins.ListModelMixin, viewsets.GenericViewSet):
    queryset = FeedbackCategory.objects.none()  # for the schema; rows come from get_queryset
    permission_classes = [permissions.AllowAny]
    serializer_class = s.FeedbackCategorySerializer
    pagination_class = None
    filter_backends: list = []
    cache_namespace = "feedback-categories"

    def get_queryset(self):
        return FeedbackCategory.objects.filter(is_active=True)


def _threads():
    return Feedback.objects.select_related("category").prefetch_related(
        Prefetch("replies", queryset=FeedbackReply.objects.select_related("author")), "photos"
    )


@extend_schema_view(
    list=extend_schema(tags=["feedback"], summary="留言板: 已答复的公开留言"),
    retrieve=extend_schema(tags=["feedback"], summary="留言板: 一条留言与答复"),
)
class FeedbackBoardViewSet(CachedReadMixin, Api, viewsets.ReadOnlyModelViewSet):
    queryset = Feedback.objects.none()  # for the schema; rows come from get_queryset
    permission_classes = [permissions.AllowAny]
    filterset_fields = ["kind", "category"]
    search_fields = ["title", "body"]
    cache_namespace = "board"

    def get_queryset(self):
        qs = Feedback.objects.filter(is_public=True, first_response_at__isnull=False)
        if self.action == "retrieve":
            return _threads().filter(pk__in=qs.values("pk"))
        return qs.select_related("category")

    def get_serializer_class(self):
        return s.FeedbackThreadSerializer if self.action == "retrieve" else s.FeedbackListSerializer


@extend_schema_view(
    list=extend_schema(tags=["feedback"], summary="我的咨询与反馈"),
    retrieve=extend_schema(tags=["feedback"], summary="我的留言 (含全部答复)"),
    create=extend_schema(
        tags=["feedback"],
        summary="咨询或反馈问题 (可附照片, 可对其他居民匿名)",
        request=s.FeedbackCreateSerializer,
        examples=[
            OpenApiExample(
                "请求",
                value={
                    "kind": "question",
                    "category": 1,
                    "title": "孩子入学要什么材料?",
                    "body": "...",
                    "is_anonymous": True,
                },
                request_only=True,
            )
        ],
    ),
)
class MyFeedbackViewSet(Api, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    queryset = Feedback.objects.none()  # for the schema; rows come from get_queryset
    permission_classes = [IsResident]
    parser_classes = UPLOADS
    filterset_fields = ["status", "kind"]

    def get_queryset(self):
        if self.action == "list":  # the list needs no replies or photos: two queries, not four
            return Feedback.objects.filter(author=self.request.user).select_related("category")
        return _threads().filter(author=self.request.user)

    def get_serializer_class(self):
        if self.action == "create":
            return s.FeedbackCreateSerializer
        return s.FeedbackListSerializer if self.action == "list" else s.FeedbackThreadSerializer

    def create(self, request, *args, **kwargs):
        row = feedback.feedback_submit(by=request.user, **_body(s.FeedbackCreateSerializer, request))
        return Response(s.FeedbackThreadSerializer(_threads().get(pk=row.pk)).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        tags=["feedback"], summary="追问 / 补充", request=s.ReplyCreateSerializer, responses={201: s.ReplySerializer}
    )
    @action(detail=True, methods=["post"])
    def replies(self, request, pk=None):
        reply = feedback.feedback_reply(
            feedback=self.get_object(), by=request.user, **_body(s.ReplyCreateSerializer, request)
        )
        return Response(s.ReplySerializer(reply).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        tags=["feedback"],
        summary="评价答复 (评价后办结)",
        request=s.RatingSerializer,
        responses={200: s.FeedbackThreadSerializer},
    )
    @action(detail=True, methods=["post"])
    def rate(self, request, pk=None):
        body = _body(s.RatingSerializer, request)
        row = feedback.feedback_rate(feedback=self.get_object(), by=request.user, **body)
        return Response(s.FeedbackThreadSerializer(_threads().get(pk=row.pk)).data)


@extend_schema_view(
    list=extend_schema(tags=["feedback · staff"], summary="转给我的留言 (overdue=true 只看超期)"),
    retrieve=extend_schema(tags=["feedback · staff"], summary="留言详情"),
)
class StaffFeedbackViewSet(Api, viewsets.ReadOnlyModelViewSet):
    queryset = Feedback.objects.none()  # for the schema; rows come from get_queryset
    permission_classes = [FeedbackStaff]
    serializer_class = s.StaffFeedbackSerializer
    filterset_fields = ["status", "kind", "category", "route_to"]
    search_fields = ["title", "body"]

    def get_queryset(self):
        qs = (
            _threads()
            .select_related("apartment")
            .filter(pk__in=feedback.feedback_for_staff(self.request.user).values("pk"))
        )
        if self.request.query_params.get("overdue") == "true":
            qs = qs.filter(pk__in=feedback.overdue().values("pk")) | qs.filter(
                escalated_at__isnull=False, status=Feedback.Status.OPEN
            )
        return qs

    @extend_schema(
        tags=["feedback · staff"],
        summary="答复留言",
        request=s.ReplyCreateSerializer,
        responses={201: s.ReplySerializer},
    )
    @action(detail=True, methods=["post"])
    def replies(self, request, pk=None):
        reply = feedback.feedback_reply(
            feedback=self.get_object(), by=request.user, **_body(s.ReplyCreateSerializer, request)
        )
        return Response(s.ReplySerializer(reply).data, status=status.HTTP_201_CREATED)

    @extend_schema(tags=["feedback · staff"], summary="办结", request=None, responses={200: s.StaffFeedbackSerializer})
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        row = feedback.feedback_close(feedback=self.get_object(), by=request.user)
        return Response(s.StaffFeedbackSerializer(_threads().select_related("apartment").get(pk=row.pk)).data)
