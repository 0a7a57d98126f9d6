"""The big screen's base map: blocks on real map tiles when a tile service is configured.

Settings (docs/configuration.md): ``COCKPIT_TILE_URL`` (any XYZ template, ``{z}/{x}/{y}``, optional ``{s}``
with ``COCKPIT_TILE_SUBDOMAINS``) or ``TIANDITU_KEY`` (the national 天地图 WMTS, vector map and its Chinese
labels, Web Mercator). With neither, the screen keeps its own plan (cockpit/plan.py).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db.models import QuerySet

from apartments.models import Apartment, MicroFireStation

TIANDITU = (
    "https://t{s}.tianditu.gov.cn/%(layer)s_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0&LAYER=%(layer)s"
    "&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles&TILEMATRIX={z}&TILEROW={y}&TILECOL={x}&tk=%(key)s"
)


def tile_layers() -> list[dict[str, Any]]:
    """The tile layers to draw, bottom first; empty when no tile service is configured."""
    if settings.COCKPIT_TILE_URL:
        return [
            {
                "url": settings.COCKPIT_TILE_URL,
                "subdomains": settings.COCKPIT_TILE_SUBDOMAINS,
                "attribution": settings.COCKPIT_TILE_ATTRIBUTION,
            }
        ]
    if settings.TIANDITU_KEY:
        return [
            {
                "url": TIANDITU % {"layer": layer, "key": settings.TIANDITU_KEY},
                "subdomains": "01234567",
                "attribution": "© 天地图 GS(2024)0568号",
            }  # fmt: skip
            for layer in ("vec", "cva")
        ]
    return []


def basemap(apartments: QuerySet[Apartment]) -> dict[str, Any] | None:
    """What the map draws: tile layers, the blocks with coordinates, the micro fire stations."""
    layers = tile_layers()
    if not layers:
        return None
    rows = apartments.filter(latitude__isnull=False, longitude__isnull=False).order_by("code")
    blocks = [
        {
            "id": a.pk,
            "code": a.code,
            "short": a.code.split("-")[-1].lstrip("0") or "0",
            "name": a.name,
            "lat": float(a.latitude),
            "lon": float(a.longitude),
        }  # fmt: skip
        for a in rows.only("id", "code", "name", "latitude", "longitude")
    ]
    stations = [
        {"name": s.name, "lat": float(s.latitude), "lon": float(s.longitude)}
        for s in MicroFireStation.objects.filter(apartments__in=apartments, latitude__isnull=False).distinct()
        if s.longitude is not None
    ]
    return {
        "layers": layers,
        "max_zoom": settings.COCKPIT_TILE_MAX_ZOOM,
        "darken": settings.COCKPIT_TILE_DARKEN,
        "blocks": blocks,
        "stations": stations,
        "unplaced": apartments.count() - len(blocks),
    }
