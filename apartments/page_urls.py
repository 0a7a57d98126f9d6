"""Pages of the inspection tool (mobile first), under /inspections/."""

from __future__ import annotations

from django.urls import path

from apartments import pages

app_name = "inspections"
urlpatterns = [
    path("inspections/", pages.today, name="today"),
    path("inspections/start/", pages.start, name="start"),
    path("inspections/<int:pk>/", pages.checklist, name="checklist"),
    path("inspections/hazards/", pages.hazard_list, name="hazards"),
    path("inspections/hazards/<int:pk>/", pages.hazard_detail, name="hazard"),
    path("inspections/photos/<int:pk>/<str:size>/", pages.photo, name="photo"),
    path("inspections/coverage/", pages.coverage, name="coverage"),
    path("inspections/reports/", pages.report, name="report"),
]
