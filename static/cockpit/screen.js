/* The big screen: figures, plan, key work, top ten and charts from the embedded overview;
   live alarms from the alerts WebSocket; refreshed figures from the cockpit WebSocket. */
(function () {
  "use strict";
  const { esc, num, hhmm, duration, liveSocket, pad, fill } = window.cockpitCommon;
  const LIST_SEP = pgettext("between reasons", "，");
  const PENDING = gettext("待接入");
  const body = document.body;
  const state = { overview: JSON.parse(document.getElementById("overview-data").textContent), charts: {} };
  const cockpit = (window.cockpit = { beeps: 0, alarmsShown: 0, flashed: [], state });

  const COLOURS = ["#ff4d4f", "#f5a524", "#3ee0ff", "#2fd18b", "#a77bff", "#ff8a3d", "#5b8cff", "#e0e052"];

  // --- figures ---------------------------------------------------------------------------------
  function tile(label, value, sub, cls) {
    const pending = value == null;
    return `<div class="tile ${cls || ""}"><div class="label">${esc(label)}</div>` +
      `<div class="value${pending ? " pending" : ""}">${esc(pending ? PENDING : value)}</div>` +
      `<div class="sub">${esc(sub || "")}</div></div>`;
  }
  function renderTiles(h) {
    const kinds = (h.alarms_today_by_kind || []).map((k) => fill(gettext("%(label)s%(count)s"), k)).join(" ");
    const rate = h.registration_rate == null ? null : (h.registration_rate * 100).toFixed(1) + "%";
    const online = h.devices ? `${num(h.devices_online)}/${num(h.devices)}` : "0";
    document.getElementById("tiles").innerHTML = [
      tile(gettext("公寓总数"), num(h.blocks), fill(gettext("床位 %(n)s"), { n: num(h.beds) })),
      tile(gettext("在住人数"), num(h.residents), gettext("流动人口")),
      tile(gettext("登记率"), rate, h.registered == null ? "" :
        fill(ngettext("已登记 %(n)s 人", "已登记 %(n)s 人", h.registered), { n: num(h.registered) })),
      tile(gettext("已发居住证"), num(h.permits), gettext("电子居住证")),
      tile(gettext("设备在线"), online, h.devices ?
        fill(gettext("在线率 %(rate)s"), { rate: ((100 * h.devices_online) / h.devices).toFixed(1) + "%" }) : ""),
      tile(gettext("今日报警"), num(h.alarms_today), kinds || gettext("暂无"), h.alarms_today ? "bad" : ""),
      tile(gettext("平均响应"),
        h.ack_average_seconds == null && h.alarms_today != null ? gettext("暂无确认") : duration(h.ack_average_seconds),
        gettext("近7天报警确认用时")),
      tile(gettext("未处置报警"), num(h.alarms_open),
        h.alarms_critical_open ? fill(gettext("紧急 %(n)s"), { n: h.alarms_critical_open }) : "", h.alarms_open ? "bad" : ""),
      tile(gettext("逾期未登记"), num(h.registration_overdue), gettext("超过登记期限"), h.registration_overdue ? "warn" : ""),
      tile(gettext("未整改隐患"), num(h.hazards_open), gettext("待整改与待复查"), h.hazards_open ? "warn" : ""),
      tile(gettext("逾期隐患"), num(h.hazards_overdue), gettext("超过整改期限"), h.hazards_overdue ? "bad" : ""),
      tile(gettext("待回复诉求"), num(h.feedback_open), gettext("居民咨询与反馈"), h.feedback_open ? "warn" : ""),
    ].join("");
  }

  // --- plan ------------------------------------------------------------------------------------
  const blockEls = new Map();
  document.querySelectorAll("#plan .block").forEach((g) => blockEls.set(Number(g.dataset.block), g));
  function renderPlan(blocks, states) {
    for (const b of blocks) {
      const g = blockEls.get(b.id);
      if (!g) continue;
      g.classList.remove("state-normal", "state-warning", "state-alarm", "state-offline");
      g.classList.add(`state-${b.state}`);
      g.dataset.state = b.state;
      const about = { name: b.name, state: b.state_label, score: b.risk_score, reasons: b.risk_reasons.join(LIST_SEP) };
      g.querySelector("title").textContent = b.risk_reasons.length ?
        fill(gettext("%(name)s（%(state)s）风险分 %(score)s：%(reasons)s"), about) :
        fill(gettext("%(name)s（%(state)s）风险分 %(score)s"), about);
    }
    const s = states || {};
    document.getElementById("plan-states").textContent =
      fill(gettext("正常 %(normal)s · 预警 %(warning)s · 报警 %(alarm)s · 设备离线 %(offline)s"),
        { normal: s.normal || 0, warning: s.warning || 0, alarm: s.alarm || 0, offline: s.offline || 0 });
  }
  document.getElementById("plan").addEventListener("click", (e) => {
    const g = e.target.closest(".block");
    if (g) openBlock(Number(g.dataset.block));
  });
  document.getElementById("plan").addEventListener("keydown", (e) => {
    const g = e.target.closest(".block");
    if (g && (e.key === "Enter" || e.key === " ")) openBlock(Number(g.dataset.block));
  });

  // --- key work and top ten -------------------------------------------------------------------
  function renderKeyWork(panels) {
    document.getElementById("keywork").innerHTML = panels.map((p) => {
      const dl = p.figures.map((f) => `<dt>${esc(f.label)}</dt><dd class="${f.value == null ? "pending" : ""}">` +
        `${esc(f.value == null ? PENDING : num(f.value))}</dd>`).join("");
      const li = p.to_act.length ? p.to_act.map((a) => `<li data-block="${a.id}" title="${esc(a.detail)}">` +
        `${esc(a.name)}<span class="d">${esc(a.detail)}</span></li>`).join("") :
        `<li class="none">${esc(gettext("暂无待办"))}</li>`;
      return `<div class="kw" data-key="${esc(p.key)}"><h3>${esc(p.title)}</h3><dl>${dl}</dl><ul>${li}</ul></div>`;
    }).join("");
  }
  function renderTop(rows) {
    document.getElementById("top").innerHTML = rows.length ? rows.map((r, i) =>
      `<li data-block="${r.id}"><span class="n">${i + 1}</span><span>${esc(r.name)}</span>` +
      `<span class="score">${r.risk_score}</span><span class="why">${esc(r.risk_reasons.join(LIST_SEP))}</span></li>`
    ).join("") : `<li>${esc(gettext("本周暂无需重点处置的公寓"))}</li>`;
  }
  for (const id of ["keywork", "top"]) {
    document.getElementById(id).addEventListener("click", (e) => {
      const li = e.target.closest("[data-block]");
      if (li) openBlock(Number(li.dataset.block));
    });
  }

  // --- charts ----------------------------------------------------------------------------------
  const axisStyle = { axisLine: { lineStyle: { color: "#2a4a6d" } }, axisLabel: { color: "#8fa6bf" },
    splitLine: { lineStyle: { color: "#132c4a" } } };
  const base = { animation: false, textStyle: { fontFamily: "Noto Sans CJK SC, Microsoft YaHei, sans-serif" },
    grid: { left: 40, right: 12, top: 30, bottom: 24 }, tooltip: { trigger: "axis" },
    legend: { top: 0, textStyle: { color: "#b9cce0" }, itemWidth: 12, itemHeight: 8 } };
  function chart(id) {
    if (!state.charts[id]) state.charts[id] = echarts.init(document.getElementById(id), null, { renderer: "canvas" });
    return state.charts[id];
  }
  function renderCharts(t) {
    const alarmSeries = t.alarms.length ? t.alarms.map((a, i) => ({ name: a.label, type: "bar", stack: "a",
      data: a.data, itemStyle: { color: COLOURS[i % COLOURS.length] } })) :
      [{ name: gettext("报警"), type: "bar", data: t.days.map(() => 0), itemStyle: { color: COLOURS[0] } }];
    chart("chart-alarms").setOption({ ...base, color: COLOURS,
      xAxis: { type: "category", data: t.days, ...axisStyle }, yAxis: { type: "value", minInterval: 1, ...axisStyle },
      series: alarmSeries }, true);
    const hours = Array.from({ length: 24 }, (_, h) => pad(h));
    chart("chart-door").setOption({ ...base,
      xAxis: { type: "category", data: hours, ...axisStyle }, yAxis: { type: "value", minInterval: 1, ...axisStyle },
      series: [
        { name: gettext("今日"), type: "bar", data: t.door_today, itemStyle: { color: "#3ee0ff" } },
        { name: gettext("近7天日均"), type: "line", data: t.door_week_average, smooth: true, symbol: "none",
          lineStyle: { color: "#f5a524" }, itemStyle: { color: "#f5a524" } },
      ] }, true);
    chart("chart-people").setOption({ ...base,
      xAxis: { type: "category", data: t.days, ...axisStyle }, yAxis: { type: "value", minInterval: 1, ...axisStyle },
      series: [
        { name: gettext("入住"), type: "line", data: t.check_ins, smooth: true, itemStyle: { color: "#2fd18b" } },
        { name: gettext("退房"), type: "line", data: t.check_outs, smooth: true, itemStyle: { color: "#f5a524" } },
        { name: gettext("居住登记"), type: "bar", data: t.registrations, itemStyle: { color: "#3e7bff" }, barWidth: 8 },
      ] }, true);
  }

  function render(o) {
    renderTiles(o.headline);
    renderPlan(o.blocks, o.headline.states);
    renderKeyWork(o.key_work);
    renderTop(o.top_risks);
    renderCharts(o.trends);
    // Blocks still flashing keep flashing until their alarm is handled.
    for (const id of flashing) blockEls.get(id) && blockEls.get(id).classList.add("flash");
  }

  // --- refresh -----------------------------------------------------------------------------------
  let refreshTimer = null;
  function refreshSoon(ms) {
    clearTimeout(refreshTimer);
    refreshTimer = setTimeout(refresh, ms == null ? 800 : ms);
  }
  async function refresh() {
    try {
      const r = await fetch(body.dataset.overviewUrl, { credentials: "same-origin", headers: { Accept: "application/json" } });
      if (r.ok) { state.overview = await r.json(); render(state.overview); }
    } catch (err) { console.warn("overview refresh failed", err); }
    refreshSoon(60000);
  }

  // --- live alarms -----------------------------------------------------------------------------
  const flashing = new Set();
  const feed = document.getElementById("feed");
  const seen = new Map();
  let audio = null, soundOn = false;
  const soundBtn = document.getElementById("sound");
  soundBtn.addEventListener("click", () => {
    soundOn = !soundOn;
    soundBtn.setAttribute("aria-pressed", String(soundOn));
    soundBtn.textContent = soundOn ? gettext("报警声音已开启") : gettext("开启报警声音");
    if (soundOn && !audio) audio = new (window.AudioContext || window.webkitAudioContext)();
  });
  function beep() {
    cockpit.beeps += 1;
    if (!soundOn || !audio) return;
    const t = audio.currentTime;
    for (let i = 0; i < 3; i++) {
      const o = audio.createOscillator(), g = audio.createGain();
      o.type = "square"; o.frequency.value = i % 2 ? 660 : 880;
      g.gain.setValueAtTime(0.15, t + i * 0.35); g.gain.setValueAtTime(0, t + i * 0.35 + 0.25);
      o.connect(g).connect(audio.destination); o.start(t + i * 0.35); o.stop(t + i * 0.35 + 0.3);
    }
  }
  const banner = document.getElementById("banner");
  let bannerTimer = null;
  function showBanner(text) {
    banner.textContent = text; banner.hidden = false;
    clearTimeout(bannerTimer); bannerTimer = setTimeout(() => { banner.hidden = true; }, 8000);
  }

  /** Accepts the alerts app's alarm messages (see docs/alerts.md) and returns one flat alarm or null. */
  function normalise(msg) {
    const a = msg.alarm || msg.alert || msg.data || msg;
    if (!a || a.id == null) return null;
    const apt = a.apartment && typeof a.apartment === "object" ? a.apartment : {};
    return {
      id: a.id,
      event: msg.event || "",
      apartmentId: Number(a.apartment_id != null ? a.apartment_id : apt.id),
      apartmentName: a.apartment_name || apt.name || "",
      kind: a.kind_label || a.severity_label || a.kind || "",
      severity: a.severity || a.level || "",
      critical: a.critical === true || String(a.severity) === "critical",
      status: a.status_label || a.status_display || a.status || "",
      state: String(a.status || ""),
      open: a.is_open != null ? a.is_open : String(a.status) !== "closed",
      at: a.raised_at || a.created_at || a.at || null,
      text: a.title || a.message || a.summary || "",
    };
  }
  let lastVersion = null;
  function onMessage(msg) {
    if (msg.version != null) lastVersion = Math.max(lastVersion || 0, msg.version);
    if (msg.type === "alarm.snapshot") {
      // Open alarms at connect time (or everything since our last version after a reconnect): listed, not sounded.
      [...(msg.alarms || [])].reverse().forEach((a) => show({ alarm: a, event: "snapshot" }, false));
      refreshSoon(1500);
    } else if (msg.type === "alarm.changed") {
      show(msg, true);
      refreshSoon(1500);
    }
  }
  function show(msg, live) {
    const a = normalise(msg);
    if (!a) return;
    const isNew = !seen.has(a.id);
    seen.set(a.id, a);
    let li = feed.querySelector(`li[data-alarm="${a.id}"]`);
    if (!li) {
      li = document.createElement("li");
      li.dataset.alarm = a.id;
      const empty = feed.querySelector(".empty");
      if (empty) empty.remove();
      feed.prepend(li);
      while (feed.children.length > 30) feed.lastChild.remove();
    }
    li.dataset.block = a.apartmentId;
    li.className = (a.critical ? "critical" : "") + (live && isNew ? " fresh" : "");
    li.innerHTML = `<span class="t">${hhmm(a.at)}</span><span class="w"><b>${esc(a.apartmentName)}</b> ` +
      `${esc(a.text || a.kind)}</span>` +
      `<span class="lvl ${a.critical ? "critical" : "warning"}">${esc(a.kind)}·${esc(a.status)}</span>`;
    document.getElementById("feed-count").textContent = fill(ngettext("共 %(n)s 条", "共 %(n)s 条", seen.size), { n: seen.size });
    cockpit.alarmsShown = seen.size;
    const g = blockEls.get(a.apartmentId);
    if (g && a.open) {
      g.classList.remove("state-normal", "state-offline", "state-warning");
      g.classList.add(a.critical ? "state-alarm" : "state-warning");
      g.dataset.state = a.critical ? "alarm" : "warning";
    }
    const fresh = live && (a.event === "raised" || (a.event === "retriggered" && isNew));
    if (a.critical && a.open && fresh) {
      flashing.add(a.apartmentId);
      if (g) g.classList.add("flash");
      cockpit.flashed.push({ id: a.apartmentId, alarm: a.id, at: performance.now() });
      beep();
      showBanner(fill(gettext("紧急报警：%(place)s %(what)s"), { place: a.apartmentName, what: a.text || a.kind }));
    } else if (!a.open || a.state !== "raised") {
      // Acknowledged or closed: someone is on it, the block stops flashing.
      flashing.delete(a.apartmentId);
      if (g) g.classList.remove("flash");
    }
  }
  feed.addEventListener("click", (e) => {
    const li = e.target.closest("li[data-block]");
    if (li) openBlock(Number(li.dataset.block));
  });
  cockpit.onMessage = onMessage;

  // --- drill-down --------------------------------------------------------------------------------
  const drill = document.getElementById("drill");
  const frame = document.getElementById("drill-frame");
  function openBlock(id) {
    if (!id) return;
    flashing.delete(id);
    const g = blockEls.get(id);
    if (g) g.classList.remove("flash");
    frame.src = `${body.dataset.blockUrl}${id}/?embed=1`;
    drill.hidden = false;
  }
  document.getElementById("drill-close").addEventListener("click", () => { drill.hidden = true; frame.src = "about:blank"; });
  document.addEventListener("keydown", (e) => { if (e.key === "Escape") { drill.hidden = true; frame.src = "about:blank"; } });
  cockpit.openBlock = openBlock;

  // --- start -------------------------------------------------------------------------------------
  function tick() {
    const d = new Date();
    document.getElementById("clock").textContent =
      `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${hhmm()}`;
  }
  tick(); setInterval(tick, 1000);
  render(state.overview);
  body.dataset.ready = "1";
  cockpit.firstViewMs = performance.now();
  refreshSoon(60000);
  window.addEventListener("resize", () => Object.values(state.charts).forEach((c) => c.resize()));

  const live = document.getElementById("live-state");
  const sockets = { cockpit: false, alerts: !body.dataset.alertsWs };
  function setLive(name, ok) {
    sockets[name] = ok;
    const all = Object.values(sockets).every(Boolean);
    live.className = "live " + (all ? "on" : "off");
    live.textContent = all ? gettext("实时连接正常") : gettext("实时连接中断，正在重连");
    body.dataset.live = all ? "1" : "0";
  }
  liveSocket(body.dataset.cockpitWs, (m) => { if (m.type === "figures.updated") refreshSoon(300); }, (ok) => setLive("cockpit", ok));
  if (body.dataset.alertsWs) {
    // Reconnect with the highest version seen: the snapshot then holds only what changed meanwhile.
    const alertsPath = () => body.dataset.alertsWs + (lastVersion != null ? `&since=${lastVersion}` : "");
    liveSocket(alertsPath, onMessage, (ok) => setLive("alerts", ok));
  }
})();
