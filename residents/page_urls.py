from __future__ import annotations

from django.urls import path

from residents.pages import permit_verify_page

urlpatterns = [
    path("permits/verify/<str:token>", permit_verify_page, name="permit-verify-page"),
]
