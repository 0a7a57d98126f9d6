from __future__ import annotations

from django.urls import path

from residents import views
from shijiao.api import Router

app_name = "residents"

router = Router()
router.register("residents", views.ResidentViewSet, basename="resident")
router.register("tenancies", views.TenancyViewSet, basename="tenancy")
router.register("registrations", views.RegistrationViewSet, basename="registration")
router.register("permits", views.PermitViewSet, basename="permit")
router.register("access-events", views.AccessEventViewSet, basename="access-event")
router.register("tenancy-requests", views.TenancyRequestViewSet, basename="tenancy-request")
router.register("me/notices", views.NoticeViewSet, basename="notice")

urlpatterns = [
    path("me/resident/", views.MeView.as_view(), name="me"),
    path("me/data-access/", views.MyDataAccessView.as_view(), name="data-access"),
    path("me/real-name/", views.RealNameView.as_view(), name="real-name"),
    path("me/journey/", views.JourneyView.as_view(), name="journey"),
    path("scan/", views.ScanView.as_view(), name="scan"),
    path("face-withdrawal/", views.FaceWithdrawView.as_view(), name="face-withdrawal"),
    path("me/face/", views.FaceView.as_view(), name="face"),
    path("me/face/consent/", views.FaceConsentView.as_view(), name="face-consent"),
    path("me/face/enrolment/", views.FaceEnrolmentView.as_view(), name="face-enrolment"),
    path("me/door-qr/", views.DoorQrView.as_view(), name="door-qr"),
    path("me/door-pin/", views.DoorPinView.as_view(), name="door-pin"),
    path("permits/verify/", views.PermitVerifyView.as_view(), name="permit-verify"),
    path("doors/entry/", views.DoorEntryView.as_view(), name="door-entry"),
    path("doors/hikvision/", views.HikvisionEventView.as_view(), name="door-hikvision"),
    path("doors/commands/", views.DoorCommandsView.as_view(), name="door-commands"),
    path("elevators/entry/", views.ElevatorEntryView.as_view(), name="elevator-entry"),
    path("gaps/", views.GapsView.as_view(), name="gaps"),
    *router.urls,
]
