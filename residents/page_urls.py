from __future__ import annotations

from django.urls import path

from residents.pages import face_withdraw_page, permit_verify_page

urlpatterns = [
    path("permits/verify/<str:token>", permit_verify_page, name="permit-verify-page"),
    path("face/withdraw/<str:token>", face_withdraw_page, name="face-withdraw-page"),
]
