"""The service modules' API, mounted under /api/v1/ (namespace v1:services)."""

from __future__ import annotations

from services import views
from shijiao.api import Router

app_name = "services"
router = Router()
# public lists (cached) and the resident's actions on them
router.register("jobs", views.JobViewSet, basename="job")
router.register("rentals", views.RentalViewSet, basename="rental")
router.register("clinics", views.ClinicViewSet, basename="clinic")
router.register("guides", views.ArticleViewSet, basename="guide")
router.register("notices", views.NoticeViewSet, basename="notice")
router.register("garbage-items", views.GarbageItemViewSet, basename="garbage-item")
router.register("feedback-categories", views.FeedbackCategoryViewSet, basename="feedback-category")
router.register("feedback-board", views.FeedbackBoardViewSet, basename="feedback-board")
# the signed-in resident's own records
router.register("my/job-applications", views.MyApplicationViewSet, basename="my-application")
router.register("my/saved-rentals", views.SavedRentalViewSet, basename="my-saved-rental")
router.register("my/viewings", views.MyViewingViewSet, basename="my-viewing")
router.register("my/appointments", views.MyAppointmentViewSet, basename="my-appointment")
router.register("my/service-requests", views.MyServiceRequestViewSet, basename="my-service-request")
router.register("my/repairs", views.MyRepairViewSet, basename="my-repair")
router.register("my/feedback", views.MyFeedbackViewSet, basename="my-feedback")
# staff: enterprises, property managers, departments, the street
router.register("enterprise/jobs", views.EnterpriseJobViewSet, basename="enterprise-job")
router.register("enterprise/applications", views.EnterpriseApplicationViewSet, basename="enterprise-application")
router.register("review/jobs", views.JobReviewViewSet, basename="job-review")
router.register("manage/rentals", views.ManagedRentalViewSet, basename="managed-rental")
router.register("manage/viewings", views.ManagedViewingViewSet, basename="managed-viewing")
router.register("manage/repairs", views.ManagedRepairViewSet, basename="managed-repair")
router.register("manage/service-requests", views.ManagedServiceRequestViewSet, basename="managed-service-request")
router.register("manage/feedback", views.StaffFeedbackViewSet, basename="staff-feedback")
urlpatterns = router.urls
