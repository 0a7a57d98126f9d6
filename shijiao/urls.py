from __future__ import annotations

from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.http import HttpRequest, HttpResponseRedirect, JsonResponse
from django.templatetags.static import static as static_url
from django.urls import include, path, reverse
from django.utils.translation import gettext_lazy as _
from django.views.i18n import JavaScriptCatalog
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from shijiao.api import api_include


def healthz(_request: HttpRequest) -> JsonResponse:
    """The platform's health (shijiao/health.py): 200, or 503 with ``down`` naming each part that is down."""
    from shijiao.health import report

    status, body = report()
    return JsonResponse(body, status=status, headers={"Cache-Control": "no-store"})


# Where each role starts its day.
ROLE_HOME = {
    "street_admin": "cockpit:screen",
    "station_operator": "alerts:station",
    "fire_safety_person": "alerts:phone",
    "grid_worker": "inspections:today",
    "inspector": "inspections:today",
    "property_manager": "admin:index",
    "enterprise": "admin:index",
    "resident": "h5:index",
}


def home(request: HttpRequest) -> HttpResponseRedirect:
    """Send each person to their own end; residents and visitors to the mini-program's H5 client."""
    user = request.user
    if not user.is_authenticated:
        return HttpResponseRedirect(reverse("h5:index"))
    return HttpResponseRedirect(reverse(ROLE_HOME.get(user.role, "admin:index")))


def favicon(request: HttpRequest) -> HttpResponseRedirect:
    """Browsers ask for /favicon.ico on every page; the icon is a static SVG (hashed name in production)."""
    return HttpResponseRedirect(static_url("favicon.svg"))


api_v1 = [
    api_include("", "accounts.urls"),
    api_include("", "apartments.urls"),
    api_include("", "residents.urls"),
    api_include("", "sensors.urls"),
    api_include("", "alerts.urls"),
    api_include("", "services.urls"),
    api_include("", "cockpit.api_urls"),
]

urlpatterns = [
    path("", home, name="home"),
    path("healthz", healthz, name="healthz"),
    path("favicon.ico", favicon),
    path("i18n/", include("django.conf.urls.i18n")),
    # The pages' scripts take their strings from here (gettext() in JS), in the request's language.
    # Not cached: the URL is the same in every language, so a browser cache would keep the first language's
    # strings after a switch (seen in the English browser tests).
    path("jsi18n/", JavaScriptCatalog.as_view(), name="javascript-catalog"),
    path("admin/", admin.site.urls),
    api_include("api/v1/", (api_v1, "api"), namespace="v1"),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="api-docs"),
    path("", include("cockpit.urls")),
    path("", include("alerts.page_urls")),
    path("", include("services.page_urls")),
    path("", include("apartments.page_urls")),
    path("", include("residents.page_urls")),
]
if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

admin.site.site_header = _("e智办 · 石桥街道流动人口公寓管理")
admin.site.site_title = _("e智办")
admin.site.index_title = _("管理首页")
