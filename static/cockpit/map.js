/* The district on a real base map (Leaflet, vendored under static/vendor/leaflet/): tiles from the configured
   service (cockpit/basemap.py), one round marker per block coloured by its state, micro fire stations as
   triangles. Markers never overlap: at every zoom they are pushed apart in screen space (a thin line ties a
   moved marker to its true place). The markers carry class "block" and data-block, so the big screen's
   script colours, flashes and opens them exactly as it does the blocks of the fallback plan. */
(function () {
  "use strict";
  const data = JSON.parse(document.getElementById("basemap-data").textContent);
  const box = document.getElementById("plan");
  const SIZE = 30; // marker diameter on the 1920×1080 stage
  const GAP = 3;

  const map = L.map(box, { zoomControl: true, attributionControl: true, zoomSnap: 0.25, zoomDelta: 0.5,
    maxZoom: data.max_zoom, worldCopyJump: false });
  if (data.darken) box.classList.add("darken");
  for (const layer of data.layers) {
    L.tileLayer(layer.url, { subdomains: layer.subdomains || "abc", attribution: layer.attribution || "",
      maxZoom: data.max_zoom, crossOrigin: false }).addTo(map);
  }
  const points = data.blocks.map((b) => [b.lat, b.lon]);
  if (points.length) map.fitBounds(L.latLngBounds(points), { padding: [SIZE, SIZE], maxZoom: 17 });
  else map.setView([30.33, 120.19], 14);

  for (const s of data.stations) {
    L.marker([s.lat, s.lon], { keyboard: false, title: s.name,
      icon: L.divIcon({ className: "station-marker", html: "▲", iconSize: [22, 22] }) }).addTo(map);
  }
  const markers = data.blocks.map((b) => {
    const m = L.marker([b.lat, b.lon], { title: b.name, riseOnHover: true, keyboard: true,
      icon: L.divIcon({ className: "block state-normal", html: `<span>${b.short.replace(/[<&>"]/g, "")}</span>`,
        iconSize: [SIZE, SIZE] }) }).addTo(map);
    const el = m.getElement();
    el.dataset.block = String(b.id);
    el.dataset.code = b.code;
    el.dataset.state = "normal";
    m.on("click", () => window.cockpit && window.cockpit.openBlock(b.id));
    return { block: b, marker: m, el };
  });
  const leaders = L.layerGroup().addTo(map);
  if (data.unplaced) {
    const note = L.control({ position: "bottomleft" });
    note.onAdd = () => {
      const div = L.DomUtil.create("div", "map-note");
      div.textContent = interpolate(ngettext("%(n)s个公寓未标注坐标，未上图", "%(n)s个公寓未标注坐标，未上图",
        data.unplaced), { n: data.unplaced }, true);
      return div;
    };
    note.addTo(map);
  }

  /** Pushes markers apart until no two overlap (screen pixels at the current zoom). */
  function spread() {
    const pts = markers.map((m) => map.latLngToLayerPoint(m.marker.getLatLng()));
    const pos = pts.map((p, i) => ({ x: p.x + Math.cos(i) * 0.01, y: p.y + Math.sin(i) * 0.01 }));
    const min = SIZE + GAP;
    for (let round = 0; round < 200; round++) {
      let moved = false;
      for (let i = 0; i < pos.length; i++) {
        for (let j = i + 1; j < pos.length; j++) {
          const dx = pos[j].x - pos[i].x, dy = pos[j].y - pos[i].y;
          if (Math.abs(dx) >= min || Math.abs(dy) >= min) continue;
          const d = Math.hypot(dx, dy) || 0.01;
          if (d >= min) continue;
          const push = (min - d) / 2 + 0.05;
          pos[i].x -= (dx / d) * push; pos[i].y -= (dy / d) * push;
          pos[j].x += (dx / d) * push; pos[j].y += (dy / d) * push;
          moved = true;
        }
      }
      if (!moved) break;
    }
    leaders.clearLayers();
    markers.forEach((m, i) => {
      const ox = pos[i].x - pts[i].x, oy = pos[i].y - pts[i].y;
      m.el.style.marginLeft = `${Math.round(-SIZE / 2 + ox)}px`;
      m.el.style.marginTop = `${Math.round(-SIZE / 2 + oy)}px`;
      if (Math.hypot(ox, oy) > 2) {
        leaders.addLayer(L.polyline([m.marker.getLatLng(), map.layerPointToLatLng(L.point(pos[i].x, pos[i].y))],
          { color: "#d8e6f5", weight: 1, opacity: 0.7, interactive: false }));
      }
    });
  }
  map.on("zoomend viewreset", spread);
  spread();

  window.cockpitMap = { map, markers, spread };
})();
