from __future__ import annotations

from django.urls import path

from alerts import views

app_name = "alerts"

alarm = views.AlarmViewSet
command = views.CommandViewSet
urlpatterns = [
    path("alarms/", alarm.as_view({"get": "list"}), name="alarm-list"),
    path("alarms/changes/", views.AlarmChangesView.as_view(), name="alarm-changes"),
    path("alarms/<int:pk>/", alarm.as_view({"get": "retrieve"}), name="alarm-detail"),
    path("alarms/<int:pk>/acknowledge/", alarm.as_view({"post": "acknowledge"}), name="alarm-acknowledge"),
    path("alarms/<int:pk>/handle/", alarm.as_view({"post": "handle"}), name="alarm-handle"),
    path("alarms/<int:pk>/close/", alarm.as_view({"post": "close"}), name="alarm-close"),
    path("cameras/", views.CameraListView.as_view(), name="camera-list"),
    path("plans/", views.PlanListView.as_view(), name="plan-list"),
    path("commands/", command.as_view({"get": "list", "post": "create"}), name="command-start"),
    path("commands/<int:pk>/", command.as_view({"get": "retrieve"}), name="command-detail"),
    path("commands/<int:pk>/confirm/", command.as_view({"post": "confirm"}), name="command-confirm"),
    path("commands/<int:pk>/arrive/", command.as_view({"post": "arrive"}), name="command-arrive"),
    path("commands/<int:pk>/note/", command.as_view({"post": "note"}), name="command-note"),
    path("commands/<int:pk>/close/", command.as_view({"post": "close"}), name="command-close"),
]
