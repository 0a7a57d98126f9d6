from __future__ import annotations

from django.urls import path

from sensors import broker_auth, views
from shijiao.api import Router

app_name = "sensors"

router = Router()
router.register("devices", views.DeviceViewSet, basename="device")
router.register("device-types", views.DeviceTypeViewSet, basename="device-type")
router.register("device-rejections", views.RejectionViewSet, basename="device-rejection")

urlpatterns = [
    path("devices/telemetry", views.TelemetryView.as_view(), name="telemetry"),
    path("devices/telemetry/", views.TelemetryView.as_view(schema=None)),  # same endpoint: documented once
    # the broker's HTTP auth and ACL (docs/device-protocol.md)
    path("mqtt/auth", broker_auth.AuthView.as_view(), name="mqtt-auth"),
    path("mqtt/acl", broker_auth.AclView.as_view(), name="mqtt-acl"),
    *router.urls,
    # ThingsBoard's HTTP device API (token in the path); last, so no route above is taken for a token
    path("<str:token>/telemetry", views.ThingsBoardTelemetryView.as_view(), name="thingsboard-telemetry"),
]
