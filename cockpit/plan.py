"""The district plan: our own SVG drawn from the blocks' and stations' coordinates (no map tiles).

Blocks are projected with an equirectangular projection scaled by cos(latitude),
which is exact enough over a sub-district a few kilometres wide. The district is
outlined by the convex hull of its blocks, with a scale bar and a north arrow;
each block is a ``<g class="block"
data-block="<id>">`` the page colours by state and makes clickable.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from xml.sax.saxutils import escape, quoteattr

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from apartments.models import Apartment, MicroFireStation

WIDTH, HEIGHT, PAD = 1000, 640, 40


@dataclass(frozen=True)
class PlacedBlock:
    id: int
    code: str
    name: str
    community: str
    x: float
    y: float
    located: bool = True


class Projection:
    def __init__(self, points: list[tuple[float, float]]) -> None:
        lats = [p[0] for p in points] or [30.33]
        lons = [p[1] for p in points] or [120.19]
        self.lat0, self.lat1 = min(lats), max(lats)
        self.lon0, self.lon1 = min(lons), max(lons)
        k = math.cos(math.radians((self.lat0 + self.lat1) / 2))
        span_x = max((self.lon1 - self.lon0) * k, 1e-6)
        span_y = max(self.lat1 - self.lat0, 1e-6)
        self.k = k
        self.scale = min((WIDTH - 2 * PAD) / span_x, (HEIGHT - 2 * PAD) / span_y)
        # Centre the drawing in the frame.
        self.ox = (WIDTH - span_x * self.scale) / 2
        self.oy = (HEIGHT - span_y * self.scale) / 2

    def __call__(self, lat: float, lon: float) -> tuple[float, float]:
        x = self.ox + (lon - self.lon0) * self.k * self.scale
        y = self.oy + (self.lat1 - lat) * self.scale
        return round(x, 1), round(y, 1)


def placed_blocks(apartments: QuerySet[Apartment]) -> tuple[list[PlacedBlock], Projection]:
    """Blocks with their place on the plan; blocks without coordinates wait in a row along the bottom."""
    rows = list(apartments.select_related("grid__community").order_by("code"))
    located = [a for a in rows if a.latitude is not None and a.longitude is not None]
    projection = Projection([(float(a.latitude), float(a.longitude)) for a in located])
    placed = []
    for a in located:
        x, y = projection(float(a.latitude), float(a.longitude))
        placed.append(PlacedBlock(a.pk, a.code, a.name, a.grid.community.name, x, y))
    for i, a in enumerate(a for a in rows if a.latitude is None or a.longitude is None):
        x, y = 130 + (i % 36) * 24, HEIGHT - 14 - (i // 36) * 24
        placed.append(PlacedBlock(a.pk, a.code, a.name, a.grid.community.name, x, y, located=False))
    return placed, projection


def _hull(points: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """Andrew's monotone chain convex hull."""
    pts = sorted(set(points))
    if len(pts) <= 2:
        return pts

    def cross(o, a, b) -> float:
        return (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0])

    lower: list = []
    for p in pts:
        while len(lower) >= 2 and cross(lower[-2], lower[-1], p) <= 0:
            lower.pop()
        lower.append(p)
    upper: list = []
    for p in reversed(pts):
        while len(upper) >= 2 and cross(upper[-2], upper[-1], p) <= 0:
            upper.pop()
        upper.append(p)
    return lower[:-1] + upper[:-1]


def _grow(hull: list[tuple[float, float]], by: float) -> list[tuple[float, float]]:
    """Push each hull corner ``by`` pixels away from the centre so blocks sit inside the outline."""
    cx = sum(p[0] for p in hull) / len(hull)
    cy = sum(p[1] for p in hull) / len(hull)
    out = []
    for x, y in hull:
        d = math.hypot(x - cx, y - cy) or 1
        out.append((round(x + (x - cx) / d * by, 1), round(y + (y - cy) / d * by, 1)))
    return out


def _scale_bar(projection: Projection) -> str:
    """A 500 m scale bar (upper left) and a north arrow (upper right)."""
    metres_per_px = 111_320 / projection.scale  # one degree of latitude is about 111.32 km
    length = round(500 / metres_per_px, 1)
    x, y = 24, 36
    scale, north = escape(_("500 米")), escape(_("北"))
    return (
        f'<g class="scale"><path d="M{x},{y - 6} V{y} H{x + length} V{y - 6}"/>'
        f'<text x="{x + length / 2:.0f}" y="{y - 10}">{scale}</text></g>'
        f'<g class="north" transform="translate({WIDTH - 30},{44})"><path d="M0,-18 L7,6 L0,0 L-7,6 Z"/>'
        f'<text y="22">{north}</text></g>'
    )


def plan_svg(apartments: QuerySet[Apartment]) -> str:
    """The plan of ``apartments`` (the blocks the viewer may see) as an inline SVG document."""
    blocks, projection = placed_blocks(apartments)
    if any(not b.located for b in blocks):
        unplaced = escape(_("未标注坐标："))
        parts_note = f'<text class="unplaced" x="24" y="{HEIGHT - 10}">{unplaced}</text>'
    else:
        parts_note = ""
    label = quoteattr(_("辖区公寓分布图"))
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" class="plan" role="img" '
        f"aria-label={label}>",
        '<defs><pattern id="plan-grid" width="40" height="40" patternUnits="userSpaceOnUse">'
        '<path d="M40 0H0V40" fill="none" stroke="#12304f" stroke-width="1"/></pattern></defs>',
        f'<rect width="{WIDTH}" height="{HEIGHT}" fill="url(#plan-grid)"/>',
    ]
    parts.append(parts_note)
    located = [b for b in blocks if b.located]
    if len(located) >= 3:
        hull = _grow(_hull([(b.x, b.y) for b in located]), 24)
        d = "M" + " L".join(f"{x},{y}" for x, y in hull) + " Z"
        parts.append(f'<path class="district" d="{d}"/>')
    parts.append(_scale_bar(projection))
    stations = MicroFireStation.objects.filter(apartments__in=apartments).distinct()
    for s in stations:
        if s.latitude is None or s.longitude is None:
            continue
        x, y = projection(float(s.latitude), float(s.longitude))
        parts.append(
            f'<g class="station" transform="translate({x},{y})"><title>{escape(s.name)}</title>'
            '<path d="M0,-9 L8,6 L-8,6 Z"/></g>'
        )
    for b in blocks:
        short = b.code.split("-")[-1].lstrip("0") or b.code
        parts.append(
            f'<g class="block state-normal" data-block="{b.id}" data-code="{escape(b.code)}" '
            f'transform="translate({b.x},{b.y})" tabindex="0">'
            f"<title>{escape(b.name)}（{escape(b.community)}）</title>"
            '<circle class="halo" r="16"/><rect x="-9" y="-9" width="18" height="18" rx="3"/>'
            f'<text y="4">{escape(short)}</text></g>'
        )
    parts.append("</svg>")
    return "".join(parts)
