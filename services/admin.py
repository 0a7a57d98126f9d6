"""Staff manage the service modules in the admin; rows follow each role (apartments.scoping)."""

from __future__ import annotations

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from accounts.models import Role
from accounts.permissions import ALL_ACTIONS, VIEW_ONLY, RoleAdminMixin
from apartments.scoping import ScopedAdmin
from services import models as m
from services.feedback import feedback_for_staff, feedback_reply
from services.jobs import job_review, jobs_managed_by
from shijiao.errors import DomainError

STREET_ALL = {Role.STREET_ADMIN: ALL_ACTIONS}
CHANGE_VIEW = frozenset({"view", "change"})


class PhotoInline(admin.TabularInline):
    extra = 0
    fields = ("thumbnail", "width", "height")
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(m.JobPosting)
class JobPostingAdmin(RoleAdminMixin, admin.ModelAdmin):
    role_actions = {Role.STREET_ADMIN: ALL_ACTIONS, Role.ENTERPRISE: ALL_ACTIONS}
    list_display = ("title", "enterprise", "wage_min", "wage_max", "dormitory_provided", "status", "created_at")
    list_filter = ("status", "dormitory_provided")
    search_fields = ("title", "enterprise__name")
    readonly_fields = ("status", "review_note", "reviewed_by", "reviewed_at", "published_at", "created_by")
    actions = ["approve", "reject"]

    def get_queryset(self, request):
        return jobs_managed_by(request.user).select_related("enterprise")

    def save_model(self, request, obj, form, change) -> None:
        if not change:
            obj.created_by = request.user
        elif request.user.role == Role.ENTERPRISE:
            obj.status, obj.published_at = m.JobPosting.Status.PENDING, None  # every change is reviewed again
        super().save_model(request, obj, form, change)

    def get_actions(self, request):
        actions = super().get_actions(request)
        if not request.user.has_role(Role.STREET_ADMIN):
            actions.pop("approve", None)
            actions.pop("reject", None)
        return actions

    def _review(self, request, queryset, approve: bool) -> None:
        done = 0
        for job in queryset:
            try:
                job_review(job=job, by=request.user, approve=approve, note="" if approve else str(_("不符合发布要求")))
                done += 1
            except DomainError as exc:
                self.message_user(request, f"{job}: {exc.message}", messages.WARNING)
        self.message_user(request, _("已处理 %(n)d 个岗位") % {"n": done})

    @admin.action(description=_("审核通过并发布"))
    def approve(self, request, queryset):
        self._review(request, queryset, True)

    @admin.action(description=_("审核不通过"))
    def reject(self, request, queryset):
        self._review(request, queryset, False)


@admin.register(m.JobApplication)
class JobApplicationAdmin(RoleAdminMixin, admin.ModelAdmin):
    role_actions = {Role.STREET_ADMIN: VIEW_ONLY, Role.ENTERPRISE: CHANGE_VIEW}
    list_display = ("__str__", "job", "status", "phone_masked", "created_at")
    list_filter = ("status",)
    fields = ("job", "name", "phone_masked", "message", "status", "created_at")
    readonly_fields = ("job", "name", "phone_masked", "message", "created_at")

    def get_queryset(self, request):
        return m.JobApplication.objects.filter(job__in=jobs_managed_by(request.user)).select_related("job")

    @admin.display(description=_("联系电话"))
    def phone_masked(self, obj):
        return obj.phone_masked


class RentalPhotoInline(PhotoInline):
    model = m.RentalPhoto


@admin.register(m.RentalListing)
class RentalListingAdmin(ScopedAdmin):
    role_actions = {Role.STREET_ADMIN: ALL_ACTIONS, Role.PROPERTY_MANAGER: ALL_ACTIONS, Role.GRID_WORKER: VIEW_ONLY}
    list_display = ("title", "apartment", "room_kind", "monthly_rent", "deposit", "is_active", "updated_at")
    list_filter = ("room_kind", "is_active")
    search_fields = ("title", "apartment__name")
    inlines = [RentalPhotoInline]
    readonly_fields = ("created_by",)

    def save_model(self, request, obj, form, change) -> None:
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(m.ViewingRequest)
class ViewingRequestAdmin(ScopedAdmin):
    apartment_path = "listing__apartment"
    role_actions = {Role.STREET_ADMIN: VIEW_ONLY, Role.PROPERTY_MANAGER: CHANGE_VIEW}
    list_display = ("__str__", "preferred_time", "status", "created_at")
    list_filter = ("status",)
    fields = ("listing", "name", "preferred_time", "message", "status", "reply")
    readonly_fields = ("listing", "name", "preferred_time", "message")


class ClinicDepartmentInline(admin.TabularInline):
    model = m.ClinicDepartment
    extra = 1


@admin.register(m.Clinic)
class ClinicAdmin(RoleAdminMixin, admin.ModelAdmin):
    role_actions = STREET_ALL
    list_display = ("name", "kind", "phone", "opening_hours", "accepts_appointments", "is_active")
    list_filter = ("kind", "is_active")
    search_fields = ("name", "address")
    filter_horizontal = ("staff",)
    inlines = [ClinicDepartmentInline]


@admin.register(m.Appointment)
class AppointmentAdmin(admin.ModelAdmin):
    """The street sees every appointment; a clinic's own staff see and answer theirs."""

    list_display = ("__str__", "department", "date", "period", "status", "created_at")
    list_filter = ("status", "period", "clinic")
    fields = ("clinic", "department", "name", "date", "period", "symptoms", "status", "reply")
    readonly_fields = ("clinic", "department", "name", "date", "period", "symptoms")

    def get_queryset(self, request):
        qs = super().get_queryset(request).select_related("clinic", "department")
        if request.user.is_superuser or request.user.role == Role.STREET_ADMIN:
            return qs
        return qs.filter(clinic__staff=request.user)

    def has_module_permission(self, request) -> bool:
        return request.user.is_active and (
            request.user.is_superuser or request.user.role == Role.STREET_ADMIN or request.user.clinics.exists()
        )

    has_view_permission = has_change_permission = lambda self, request, obj=None: self.has_module_permission(request)

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(m.Article)
class ArticleAdmin(RoleAdminMixin, admin.ModelAdmin):
    role_actions = STREET_ALL
    list_display = ("title", "module", "request_kind", "is_published", "sort_order", "updated_at")
    list_filter = ("module", "is_published")
    search_fields = ("title", "body")


class ServiceRequestPhotoInline(PhotoInline):
    model = m.ServiceRequestPhoto


@admin.register(m.ServiceRequest)
class ServiceRequestAdmin(RoleAdminMixin, admin.ModelAdmin):
    role_actions = {Role.STREET_ADMIN: CHANGE_VIEW}
    list_display = ("reference", "module", "kind", "__str__", "status", "created_at", "updated_at")
    list_filter = ("module", "status")
    fields = ("module", "kind", "name", "details", "documents", "status", "staff_note", "handled_by")
    readonly_fields = ("module", "kind", "name", "details", "documents", "handled_by")
    inlines = [ServiceRequestPhotoInline]

    def save_model(self, request, obj, form, change) -> None:
        obj.handled_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(m.Notice)
class NoticeAdmin(ScopedAdmin):
    role_actions = {Role.STREET_ADMIN: ALL_ACTIONS, Role.PROPERTY_MANAGER: ALL_ACTIONS, Role.GRID_WORKER: ALL_ACTIONS}
    list_display = ("title", "apartment", "is_pinned", "published_at", "expires_at")
    list_filter = ("is_pinned",)
    search_fields = ("title", "body")
    readonly_fields = ("created_by",)

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        if not request.user.sees_whole_district:
            from apartments.scoping import apartments_for

            form.base_fields["apartment"].queryset = apartments_for(request.user)
            form.base_fields["apartment"].required = True  # only the street posts to the whole district
        return form

    def save_model(self, request, obj, form, change) -> None:
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)


class RepairPhotoInline(PhotoInline):
    model = m.RepairPhoto


@admin.register(m.RepairRequest)
class RepairRequestAdmin(ScopedAdmin):
    role_actions = {Role.STREET_ADMIN: VIEW_ONLY, Role.PROPERTY_MANAGER: CHANGE_VIEW, Role.GRID_WORKER: VIEW_ONLY}
    list_display = ("__str__", "category", "status", "created_at", "resolved_at")
    list_filter = ("status", "category")
    fields = ("apartment", "room_number", "category", "description", "status", "reply")
    readonly_fields = ("apartment", "room_number", "category", "description")
    inlines = [RepairPhotoInline]

    def save_model(self, request, obj, form, change) -> None:
        from services.convenience import repair_update

        repair_update(repair=obj, by=request.user, status=obj.status, reply=obj.reply)


@admin.register(m.GarbageItem)
class GarbageItemAdmin(RoleAdminMixin, admin.ModelAdmin):
    role_actions = STREET_ALL
    list_display = ("name", "category", "tip")
    list_filter = ("category",)
    search_fields = ("name",)


@admin.register(m.FeedbackCategory)
class FeedbackCategoryAdmin(RoleAdminMixin, admin.ModelAdmin):
    role_actions = STREET_ALL
    list_display = ("name", "route_to", "department", "response_hours", "is_active", "sort_order")


FEEDBACK_ANSWERERS = (Role.STREET_ADMIN, Role.PROPERTY_MANAGER, Role.INSPECTOR)


class ReplyInline(admin.StackedInline):
    model = m.FeedbackReply
    extra = 1
    fields = ("body", "from_staff", "author", "created_at")
    readonly_fields = ("from_staff", "author", "created_at")
    verbose_name = _("答复")

    # The page's own role rules decide (FeedbackAdmin.role_actions): staff have no Django model permissions, so
    # without these only a superuser saw the thread and the reply box.
    def has_view_permission(self, request, obj=None) -> bool:
        return True

    def has_add_permission(self, request, obj=None) -> bool:
        user = request.user
        return obj is not None and (user.is_superuser or user.role in FEEDBACK_ANSWERERS)

    def has_change_permission(self, request, obj=None) -> bool:
        return False  # replies are a record: add, never rewrite

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class FeedbackPhotoInline(PhotoInline):
    model = m.FeedbackPhoto


class OverdueFilter(admin.SimpleListFilter):
    title = _("时限")
    parameter_name = "deadline"

    def lookups(self, request, model_admin):
        return [("overdue", _("已超期待答复")), ("escalated", _("已上报街道"))]

    def queryset(self, request, queryset):
        from django.utils import timezone

        if self.value() == "overdue":
            return queryset.filter(status=m.Feedback.Status.OPEN, due_at__lt=timezone.now())
        if self.value() == "escalated":
            return queryset.filter(escalated_at__isnull=False)
        return queryset


@admin.register(m.Feedback)
class FeedbackAdmin(RoleAdminMixin, admin.ModelAdmin):
    """Staff answer here: the reply box at the bottom, the thread above; every save of a reply is routed."""

    role_actions = {
        Role.STREET_ADMIN: CHANGE_VIEW,
        Role.PROPERTY_MANAGER: CHANGE_VIEW,
        Role.INSPECTOR: CHANGE_VIEW,
        Role.GRID_WORKER: VIEW_ONLY,
    }
    list_display = ("title", "kind", "category", "apartment", "status", "due_at", "escalated_at", "rating")
    list_filter = ("status", "kind", "route_to", OverdueFilter, "category")
    search_fields = ("title", "body")
    fields = (
        "kind",
        "category",
        "title",
        "body",
        "author_name",
        "apartment",
        "route_to",
        "department",
        "is_public",
        "is_anonymous",
        "status",
        "due_at",
        "first_response_at",
        "escalated_at",
        "rating",
        "rating_comment",
    )
    readonly_fields = tuple(f for f in fields if f not in ("status",))
    inlines = [ReplyInline, FeedbackPhotoInline]

    def get_queryset(self, request):
        return feedback_for_staff(request.user).select_related("category", "apartment")

    def save_formset(self, request, form, formset, change) -> None:
        if formset.model is not m.FeedbackReply:
            return super().save_formset(request, form, formset, change)
        for reply in formset.save(commit=False):
            try:
                feedback_reply(feedback=form.instance, by=request.user, body=reply.body)
            except DomainError as exc:
                self.message_user(request, exc.message, messages.ERROR)
