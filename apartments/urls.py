from __future__ import annotations

from django.urls import path

from apartments.inspection_api import ChecklistTemplateViewSet, CoverageView, HazardViewSet, InspectionViewSet
from apartments.views import ApartmentViewSet
from shijiao.api import Router

app_name = "apartments"
router = Router()
router.register("apartments", ApartmentViewSet, basename="apartment")
router.register("inspection-templates", ChecklistTemplateViewSet, basename="inspection-template")
router.register("inspections", InspectionViewSet, basename="inspection")
router.register("hazards", HazardViewSet, basename="hazard")
urlpatterns = [
    path("inspection-coverage/", CoverageView.as_view(), name="inspection-coverage"),
    *router.urls,
]
