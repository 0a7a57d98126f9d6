from __future__ import annotations

from django.urls import path

from accounts import views

app_name = "accounts"
urlpatterns = [
    path("auth/wechat/", views.WeChatLoginView.as_view(), name="login-wechat"),
    path("auth/sms/code/", views.SmsCodeView.as_view(), name="sms-code"),
    path("auth/sms/login/", views.SmsLoginView.as_view(), name="login-sms"),
    path("auth/password/", views.PasswordLoginView.as_view(), name="login-password"),
    path("auth/refresh/", views.RefreshView.as_view(), name="token-refresh"),
    path("auth/logout/", views.LogoutView.as_view(), name="logout"),
    path("me/", views.MeView.as_view(), name="me"),
    path("me/phone/", views.PhoneBindView.as_view(), name="phone-bind"),
]
