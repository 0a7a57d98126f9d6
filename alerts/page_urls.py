from __future__ import annotations

from django.urls import path

from alerts import pages

app_name = "alerts"
urlpatterns: list = [
    path("alerts/m/", pages.phone, name="phone"),
    path("alerts/station/", pages.station, name="station"),
    path("alerts/panel/", pages.panel, name="panel"),
]
