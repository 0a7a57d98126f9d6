from __future__ import annotations

from django.urls import path

from cockpit import views

urlpatterns = [
    path("cockpit/overview", views.OverviewView.as_view(), name="cockpit-overview"),
    path("cockpit/blocks/<int:pk>", views.BlockDetailView.as_view(), name="cockpit-block"),
    path("cockpit/alarms", views.OpenAlarmsView.as_view(), name="cockpit-alarms"),
    path("cockpit/alarms/<int:pk>/timeline", views.AlarmTimelineView.as_view(), name="cockpit-alarm-timeline"),
]
