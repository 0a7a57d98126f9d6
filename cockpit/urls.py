from __future__ import annotations

from django.urls import path, re_path

from cockpit import views

app_name = "cockpit"
urlpatterns = [
    path("cockpit/", views.screen, name="screen"),
    path("cockpit/blocks/<int:pk>/", views.block_page, name="block"),
    re_path(r"^cockpit/reports/weekly\.(?P<fmt>pdf|xlsx)$", views.weekly_report, name="weekly-report"),
]
