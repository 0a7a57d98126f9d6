"""The three ends as pages: the person in charge's phone, the micro fire station console, the cockpit alarm panel."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.csrf import ensure_csrf_cookie

from accounts.models import Role
from accounts.permissions import STAFF_ROLES

PAGES = {
    "phone": ("alerts/phone.html", _("消防责任人 · 告警"), STAFF_ROLES),
    "station": ("alerts/station.html", _("微型消防站 · 告警处置台"), {Role.STATION_OPERATOR, Role.STREET_ADMIN}),
    "cockpit": ("alerts/panel.html", _("街道驾驶舱 · 告警与一键指挥"), {Role.STREET_ADMIN, Role.INSPECTOR}),
}


def _page(request: HttpRequest, end: str) -> HttpResponse:
    template, title, roles = PAGES[end]
    user = request.user
    if not (user.is_superuser or user.role in roles):
        raise PermissionDenied
    may_command = user.is_superuser or user.role in {Role.STREET_ADMIN, Role.STATION_OPERATOR}
    return render(request, template, {"end": end, "title": title, "may_command": may_command})


@ensure_csrf_cookie
@login_required
def phone(request: HttpRequest) -> HttpResponse:
    return _page(request, "phone")


@ensure_csrf_cookie
@login_required
def station(request: HttpRequest) -> HttpResponse:
    return _page(request, "station")


@ensure_csrf_cookie
@login_required
def panel(request: HttpRequest) -> HttpResponse:
    return _page(request, "cockpit")
