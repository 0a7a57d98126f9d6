"""Which tiles the big screen's map draws: an XYZ template, else 天地图 with its key, else none (own plan)."""

from __future__ import annotations

from decimal import Decimal

from accounts.models import Role
from apartments.models import Apartment
from cockpit.basemap import basemap


def test_no_tile_service_keeps_the_plan(client, district, settings):
    settings.COCKPIT_TILE_URL, settings.TIANDITU_KEY = "", ""
    assert basemap(Apartment.objects.all()) is None
    client.force_login(district.users[Role.STREET_ADMIN])
    html = client.get("/cockpit/").content.decode()
    assert '<svg xmlns="http://www.w3.org/2000/svg"' in html and "leaflet.js" not in html


def test_tianditu_draws_its_vector_map_and_labels_with_the_key(district, settings):
    settings.COCKPIT_TILE_URL, settings.TIANDITU_KEY = "", "k3y"
    district.mine.latitude, district.mine.longitude = Decimal("30.331"), Decimal("120.189")
    district.mine.save()
    data = basemap(Apartment.objects.all())
    assert [layer["url"].split("/")[3] for layer in data["layers"]] == ["vec_w", "cva_w"]
    assert all("tk=k3y" in layer["url"] and "TILEMATRIX={z}" in layer["url"] for layer in data["layers"])
    assert [b["id"] for b in data["blocks"]] == [district.mine.pk] and data["unplaced"] == 1


def test_an_xyz_url_wins_and_the_page_loads_leaflet(client, district, settings):
    settings.COCKPIT_TILE_URL, settings.TIANDITU_KEY = "https://tiles.example.cn/{z}/{x}/{y}.png", "k3y"
    data = basemap(Apartment.objects.all())
    assert [layer["url"] for layer in data["layers"]] == ["https://tiles.example.cn/{z}/{x}/{y}.png"]
    client.force_login(district.users[Role.STREET_ADMIN])
    html = client.get("/cockpit/").content.decode()
    assert "/static/vendor/leaflet/leaflet.js" in html and 'id="basemap-data"' in html
