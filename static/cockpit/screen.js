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
  state.live = JSON.parse(document.getElementById("alarms-data").textContent);

  // --- the stage: drawn at 1920×1080, scaled to fill any wall with its proportions kept ----------
  const stage = document.getElementById("stage");
  function fit() {
    const w = window.innerWidth, h = window.innerHeight;
    const scale = Math.min(w / 1920, h / 1080);
    stage.style.setProperty("--stage-scale", String(scale));
    stage.style.setProperty("--stage-x", `${Math.round((w - 1920 * scale) / 2)}px`);
    stage.style.setProperty("--stage-y", `${Math.round((h - 1080 * scale) / 2)}px`);
    cockpit.scale = scale;
  }
  fit();

  // One colour per alarm kind everywhere (a kind keeps its colour when others come and go).
  const KIND_COLOURS = { wire_temp: "#ff4d4f", residual_current: "#ff8a3d", current: "#e0a040", voltage: "#e0e052",
    smoke: "#ff6fb1", fire: "#ff2d2d", fire_alarm: "#ff2d2d", pressure: "#3e7bff", hydrant_pressure: "#3e7bff",
    level: "#3ee0ff", level_pct: "#3ee0ff", water_level: "#3ee0ff", obstructed: "#a77bff", fire_exit: "#a77bff",
    offline: "#8a97a9", device_offline: "#8a97a9", battery: "#2fd18b" };
  const SPARE = ["#5b8cff", "#c0ff6b", "#ffb3b3", "#79ffe1", "#d9a7ff"];
  function kindColour(kind) {
    if (KIND_COLOURS[kind]) return KIND_COLOURS[kind];
    let h = 0;
    for (const c of String(kind)) h = (h * 31 + c.charCodeAt(0)) >>> 0;
    return SPARE[h % SPARE.length];
  }

  // --- figures ---------------------------------------------------------------------------------
  // A duration as a figure that fits its tile in both languages: 39′35″.
  function minSec(seconds) {
    if (seconds == null) return null;
    const m = Math.floor(seconds / 60), s = Math.round(seconds % 60);
    return m ? `${m}′${pad(s)}″` : `${s}″`;
  }
  function tile(label, value, sub, cls) {
    const pending = value == null;
    return `<div class="tile ${cls || ""}"><div class="label">${esc(label)}</div><div class="line">` +
      `<span class="value${pending ? " pending" : ""}">${esc(pending ? PENDING : value)}</span>` +
      (sub ? `<span class="sub">${esc(sub)}</span>` : "") + `</div></div>`;
  }
  function renderTiles(h) {
    const criticalToday = (h.alarms_today_by_kind || []).filter((k) => k.critical).reduce((n, k) => n + k.count, 0);
    const rate = h.registration_rate == null ? null : (h.registration_rate * 100).toFixed(1) + "%";
    // The headline is the count online; the total goes in the line below (a district's "2,922/2,922" does not fit
    // a tile at the headline size).
    const online = h.devices ? num(h.devices_online) : "0";
    document.getElementById("tiles").innerHTML = [
      tile(gettext("公寓总数"), num(h.blocks), fill(gettext("床位 %(n)s"), { n: num(h.beds) })),
      tile(gettext("在住人数"), num(h.residents), gettext("流动人口")),
      tile(gettext("登记率"), rate, h.registered == null ? "" :
        fill(ngettext("已登记 %(n)s 人", "已登记 %(n)s 人", h.registered), { n: num(h.registered) })),
      tile(gettext("已发居住证"), num(h.permits), gettext("电子居住证")),
      tile(gettext("设备在线"), online, h.devices ?
        fill(gettext("共 %(n)s 台, 在线率 %(rate)s"),
          { n: num(h.devices), rate: ((100 * h.devices_online) / h.devices).toFixed(1) + "%" }) : ""),
      tile(gettext("今日报警"), num(h.alarms_today), criticalToday ?
        fill(gettext("紧急类 %(n)s"), { n: num(criticalToday) }) : gettext("无紧急类"), h.alarms_today ? "bad" : ""),
      tile(gettext("平均响应"),
        h.ack_average_seconds == null && h.alarms_today != null ? gettext("暂无确认") : minSec(h.ack_average_seconds),
        gettext("近7天确认用时")),
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
      const about_text = b.risk_reasons.length ?
        fill(gettext("%(name)s（%(state)s）风险分 %(score)s：%(reasons)s"), about) :
        fill(gettext("%(name)s（%(state)s）风险分 %(score)s"), about);
      const title = g.querySelector("title");
      if (title) title.textContent = about_text; else g.title = about_text;
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
      if (p.figures.every((f) => f.value == null)) {
        return `<div class="kw" data-key="${esc(p.key)}"><h3>${esc(p.title)}</h3>` +
          `<p class="nosource">${esc(p.no_source || gettext("数据来源尚未接入，暂不统计"))}</p></div>`;
      }
      const dl = p.figures.map((f) => `<div class="f"><dt>${esc(f.label)}</dt><dd class="${f.value == null ?
        "pending" : ""}">${esc(f.value == null ? f.missing || PENDING : typeof f.value === "number" ? num(f.value) :
        f.value)}</dd></div>`).join("");
      const li = p.to_act.length ? p.to_act.map((a) => `<li data-block="${a.id}" title="${esc(a.detail)}">` +
        `${esc(a.name)}${a.detail ? `<span class="d">${esc(a.detail)}</span>` : ""}</li>`).join("") :
        `<li class="none">${esc(gettext("暂无待办"))}</li>`;
      return `<div class="kw" data-key="${esc(p.key)}"><h3>${esc(p.title)}</h3><dl>${dl}</dl><ul>${li}</ul></div>`;
    }).join("");
    document.querySelectorAll("#keywork ul").forEach((ul) => fitList(ul, gettext("另有 %(n)s 个公寓")));
  }
  /** Drops the last items of ``list`` that do not fit in its box and says how many more there are. */
  function fitList(list, moreText) {
    let hidden = 0;
    const items = () => [...list.children].filter((li) => !li.classList.contains("more"));
    while (list.scrollHeight > list.clientHeight + 1 && items().length > 0) {
      items().pop().remove();
      hidden += 1;
      let more = list.querySelector(".more");
      if (!more) { more = document.createElement("li"); more.className = "more"; list.append(more); }
      more.textContent = fill(moreText, { n: hidden });
    }
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
  const axisStyle = { axisLine: { lineStyle: { color: "#2a4a6d" } }, axisLabel: { color: "#b9cce0", fontSize: 16 },
    splitLine: { lineStyle: { color: "#132c4a" } } };
  const base = { animation: false, textStyle: { fontFamily: "Noto Sans CJK SC, Microsoft YaHei, sans-serif", fontSize: 16 },
    grid: { left: 48, right: 12, top: 34, bottom: 28 }, tooltip: { trigger: "axis" },
    // One line of legend that pages when a district's many alarm kinds do not fit (wrapped, it covered the bars).
    legend: { type: "scroll", top: 0, textStyle: { color: "#d8e6f5", fontSize: 16 }, itemWidth: 16, itemHeight: 10,
      pageTextStyle: { color: "#b9cce0" }, pageIconColor: "#b9cce0" } };
  // Few, never overlapping labels on the short value axes (thousands of door entries stacked their labels).
  const valueAxis = { type: "value", minInterval: 1, splitNumber: 2, ...axisStyle,
    axisLabel: { ...axisStyle.axisLabel, hideOverlap: true } };
  function chart(id) {
    if (!state.charts[id]) state.charts[id] = echarts.init(document.getElementById(id), null, { renderer: "canvas" });
    return state.charts[id];
  }
  function renderCharts(t) {
    const alarmSeries = t.alarms.length ? t.alarms.map((a) => ({ name: a.label, type: "bar", stack: "a",
      data: a.data, itemStyle: { color: kindColour(a.kind) } })) :
      [{ name: gettext("报警"), type: "bar", data: t.days.map(() => 0), itemStyle: { color: "#ff4d4f" } }];
    chart("chart-alarms").setOption({ ...base,
      xAxis: { type: "category", data: t.days, ...axisStyle }, yAxis: valueAxis,
      series: alarmSeries }, true);
    const hours = Array.from({ length: 24 }, (_, h) => pad(h));
    chart("chart-door").setOption({ ...base,
      xAxis: { type: "category", data: hours, ...axisStyle, axisLabel: { ...axisStyle.axisLabel, interval: 2 } }, yAxis: valueAxis,
      series: [
        { name: gettext("今日"), type: "bar", data: t.door_today, itemStyle: { color: "#3ee0ff" } },
        { name: gettext("近7天日均"), type: "line", data: t.door_week_average, smooth: true, symbol: "none",
          lineStyle: { color: "#f5a524" }, itemStyle: { color: "#f5a524" } },
      ] }, true);
    chart("chart-people").setOption({ ...base,
      xAxis: { type: "category", data: t.days, ...axisStyle }, yAxis: valueAxis,
      series: [
        { name: gettext("入住"), type: "line", data: t.check_ins, smooth: true, itemStyle: { color: "#2fd18b" } },
        { name: gettext("退房"), type: "line", data: t.check_outs, smooth: true, itemStyle: { color: "#f5a524" } },
        { name: gettext("居住登记"), type: "bar", data: t.registrations, itemStyle: { color: "#3e7bff" }, barWidth: 10 },
      ] }, true);
  }

  function render(o) {
    renderTiles(o.headline);
    renderPlan(o.blocks, o.headline.states);
    renderKeyWork(o.key_work);
    renderTop(o.top_risks);
    pager(document.getElementById("top"), "top-page");
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
  // The alarm sound (static/alerts/sound.js) rings while a critical or major alarm is unacknowledged; the sign-in
  // tap, or any tap on the screen, lets the browser play it. The button says which it is and arms it.
  const soundBtn = document.getElementById("sound");
  function soundLabel() {
    const s = window.ShijiaoSound.state();
    soundBtn.setAttribute("aria-pressed", String(s.armed));
    soundBtn.textContent = s.armed ? gettext("报警声音已开启")
      : s.ringing ? gettext("有未确认告警: 点此开启声音") : gettext("开启报警声音");
    cockpit.beeps = s.beeps;
  }
  soundBtn.addEventListener("click", () => setTimeout(soundLabel, 100));
  setInterval(soundLabel, 1000);
  // The banner names the newest unacknowledged critical alarm and stays until it is acknowledged.
  const banner = document.getElementById("banner");
  function showBanner() {
    const open = [...alarms.values()].filter((a) => a.severity === "critical" && !a.acknowledged_at &&
      (a.status === undefined || a.status === "raised"))
      .sort((a, b) => String(b.raised_at).localeCompare(String(a.raised_at)));
    banner.hidden = open.length === 0;
    if (!open.length) return;
    const a = open[0];
    banner.textContent = fill(gettext("紧急报警：%(place)s %(what)s"), { place: a.apartment ? a.apartment.name : "", what: a.title }) +
      (open.length > 1 ? fill(gettext("（另有 %(n)s 条未确认）"), { n: open.length - 1 }) : "");
    banner.dataset.alarm = a.id;
  }

  // Every open alarm, in the order an operator handles them: unacknowledged critical first (cockpit/live.py
  // sorts the same way). Filled from the page itself, kept current by the alerts WebSocket and the API.
  const alarms = new Map();
  let alarmsTotal = 0;
  const RANK = { critical: 0, major: 1, minor: 2, warning: 3 };
  function order(a, b) {
    const ca = a.severity === "critical" && !a.acknowledged_at, cb = b.severity === "critical" && !b.acknowledged_at;
    if (ca !== cb) return ca ? -1 : 1;
    const ra = RANK[a.severity] ?? 9, rb = RANK[b.severity] ?? 9;
    if (ra !== rb) return ra - rb;
    if (!a.acknowledged_at !== !b.acknowledged_at) return a.acknowledged_at ? 1 : -1;
    return String(b.raised_at).localeCompare(String(a.raised_at));
  }
  function ageText(iso) {
    const minutes = Math.max(0, Math.floor((Date.now() - new Date(iso).getTime()) / 60000));
    if (minutes < 60) return fill(ngettext("%(n)s分钟", "%(n)s分钟", minutes), { n: minutes });
    const hours = Math.floor(minutes / 60);
    return fill(gettext("%(h)s小时%(m)s分"), { h: hours, m: minutes % 60 });
  }
  function escalationText(a) {
    if (!a.escalation_planned) return gettext("无升级步骤");
    if (!a.escalation_done) return fill(gettext("未升级（共%(n)s级）"), { n: a.escalation_planned });
    return fill(gettext("已升级至第%(step)s级/共%(n)s级"), { step: a.escalation_done, n: a.escalation_planned });
  }
  function ackText(a) {
    if (!a.acknowledged_at) return `<span class="unack">${esc(gettext("无人确认"))}</span>`;
    const who = a.acknowledged_by || gettext("未知");
    const via = a.acknowledged_via_label ? fill(gettext("（%(via)s）"), { via: a.acknowledged_via_label }) : "";
    return `<span class="ack">${esc(fill(gettext("%(who)s已确认"), { who }) + via)}</span>`;
  }
  function rowHtml(a) {
    const place = a.apartment ? a.apartment.name : "";
    return `<span class="w"><span class="lvl ${esc(a.severity)}">${esc(a.severity_label)}</span>` +
      `<b>${esc(place)}</b>${esc(a.title)}</span>` +
      `<span class="age" data-raised="${esc(a.raised_at)}">${esc(ageText(a.raised_at))}</span>` +
      `<span class="m">${esc(a.status_label)} · ${ackText(a)} · ${esc(escalationText(a))}</span>`;
  }
  function renderFeed() {
    const rows = [...alarms.values()].sort(order);
    feed.innerHTML = rows.length ? rows.map((a) =>
      `<li data-alarm="${a.id}" data-block="${a.apartment ? a.apartment.id : ""}" data-severity="${esc(a.severity)}"` +
      ` class="${a.severity === "critical" ? "critical" : ""}${a.id === selectedId ? " selected" : ""}` +
      `${freshIds.has(a.id) ? " fresh" : ""}">${rowHtml(a)}</li>`).join("") :
      `<li class="empty">${esc(gettext("暂无未处置报警"))}</li>`;
    alarmsTotal = Math.max(alarmsTotal, rows.length);
    const critical = rows.filter((a) => a.severity === "critical").length;
    document.getElementById("feed-count").textContent = rows.length ?
      fill(ngettext("共 %(n)s 条", "共 %(n)s 条", alarmsTotal), { n: alarmsTotal }) +
      (critical ? fill(gettext("，紧急 %(n)s"), { n: critical }) : "") : "";
    cockpit.alarmsShown = rows.length;
    window.ShijiaoSound.update(rows);
    showBanner();
    soundLabel();
    pager(feed, "feed-page");
    chooseTimeline();
    renderVideoWall();
  }

  // --- video wall: the cameras nearest the open critical alarms (the alerts app picks each alarm's camera) ---
  const WALL_SIZE = 3;
  const wall = document.getElementById("video-wall");
  const playing = new Map(); // camera id → { figure, player }
  function renderVideoWall() {
    if (!window.ShijiaoVideo) return;
    const wanted = new Map();
    const critical = [...alarms.values()].filter((a) => a.severity === "critical" && a.camera && a.camera.stream_url)
      .sort(order);
    for (const a of critical) {
      if (wanted.size >= WALL_SIZE) break;
      if (!wanted.has(a.camera.id)) wanted.set(a.camera.id, a);
    }
    for (const [id, p] of playing) {
      if (!wanted.has(id)) { p.player.destroy(); p.figure.remove(); playing.delete(id); }
    }
    for (const [id, a] of wanted) {
      if (playing.has(id)) continue;
      const figure = document.createElement("figure");
      figure.className = "cam";
      figure.dataset.camera = String(id);
      const caption = document.createElement("figcaption");
      caption.textContent = fill(gettext("%(place)s · %(camera)s"), { place: a.apartment ? a.apartment.name : "",
        camera: a.camera.name });
      const box = document.createElement("div");
      figure.append(caption, box);
      wall.append(figure);
      playing.set(id, { figure, player: window.ShijiaoVideo.mount(box, a.camera, { controls: false }) });
    }
    const show = playing.size > 0;
    if (wall.hidden === show) {
      wall.hidden = !show;
      if (window.cockpitMap) window.cockpitMap.map.invalidateSize();
    }
  }
  function applyLive(data) {
    const fresh = new Map((data.alarms || []).map((a) => [a.id, a]));
    alarms.clear();
    fresh.forEach((a, id) => alarms.set(id, a));
    alarmsTotal = data.total || alarms.size;
    renderFeed();
  }
  function merge(a) {
    const known = alarms.get(a.id);
    if (a.closed_at) {
      if (known) { alarms.delete(a.id); alarmsTotal = Math.max(0, alarmsTotal - 1); }
      return;
    }
    if (!known) alarmsTotal += 1;
    // The push has no escalation figures; keep what the API said until it answers again.
    alarms.set(a.id, { escalation_done: 0, escalation_planned: 0, ...(known || {}), ...a });
  }
  let liveTimer = null;
  function refetchAlarmsSoon() {
    clearTimeout(liveTimer);
    liveTimer = setTimeout(async () => {
      try {
        const r = await fetch(body.dataset.alarmsUrl, { credentials: "same-origin", headers: { Accept: "application/json" } });
        if (r.ok) applyLive(await r.json());
      } catch (err) { console.warn("alarms refresh failed", err); }
    }, 1500);
  }
  // Minutes since raised move on by themselves.
  setInterval(() => feed.querySelectorAll(".age").forEach((el) => { el.textContent = ageText(el.dataset.raised); }), 20000);

  // Lists longer than their panel turn pages by themselves: every row stays in the list, one page of
  // whole rows is shown at a time.
  const PAGE_MS = 8000;
  function pager(list, labelId) {
    const label = document.getElementById(labelId);
    const rows = [...list.children];
    rows.forEach((li) => { li.hidden = false; });
    const keep = Number(list.dataset.page || 0);
    const pages = [];
    let used = list.clientHeight + 1;
    for (const li of rows) {
      const h = li.offsetHeight;
      if (used + h > list.clientHeight + 0.5 && (pages.length === 0 || used > 0)) { pages.push([]); used = 0; }
      pages[pages.length - 1].push(li);
      used += h;
    }
    list._pages = pages;
    list.dataset.pages = String(pages.length);
    showPage(list, label, pages.length > 1 ? Math.min(keep, pages.length - 1) : 0);
  }
  function showPage(list, label, page) {
    const pages = list._pages || [];
    pages.forEach((rows, i) => rows.forEach((li) => { li.hidden = i !== page; }));
    list.dataset.page = String(page);
    label.textContent = pages.length > 1 ?
      fill(gettext("第 %(page)s/%(pages)s 页"), { page: page + 1, pages: pages.length }) : "";
  }
  function turnPage(list, labelId) {
    const pages = list._pages;
    if (!pages || pages.length < 2 || list.matches(":hover")) return;
    showPage(list, document.getElementById(labelId), (Number(list.dataset.page || 0) + 1) % pages.length);
  }
  setInterval(() => { turnPage(feed, "feed-page"); turnPage(document.getElementById("top"), "top-page"); }, PAGE_MS);

  // --- incident timeline of the selected (or newest critical) alarm ------------------------------
  let selectedId = null, timelineId = null, timelineTimer = null;
  const timelineEl = document.getElementById("timeline");
  function chooseTimeline() {
    let target = selectedId != null && alarms.has(selectedId) ? selectedId : null;
    if (target == null) {
      const critical = [...alarms.values()].filter((a) => a.severity === "critical")
        .sort((a, b) => String(b.raised_at).localeCompare(String(a.raised_at)));
      target = critical.length ? critical[0].id : null;
    }
    if (target == null) {
      timelineId = null;
      document.getElementById("timeline-title").textContent = "";
      timelineEl.innerHTML = `<p class="none">${esc(gettext("暂无紧急报警"))}</p>`;
      return;
    }
    if (target !== timelineId) { timelineId = target; loadTimeline(0); }
  }
  function loadTimeline(delay) {
    clearTimeout(timelineTimer);
    timelineTimer = setTimeout(async () => {
      const id = timelineId;
      if (id == null) return;
      try {
        const r = await fetch(`${body.dataset.timelineUrl}${id}/timeline`, { credentials: "same-origin",
          headers: { Accept: "application/json" } });
        if (r.ok && id === timelineId) renderTimeline(await r.json());
      } catch (err) { console.warn("timeline failed", err); }
    }, delay);
  }
  function renderTimeline(t) {
    const a = t.alarm;
    document.getElementById("timeline-title").textContent = a.apartment ? a.apartment.name : "";
    const time = (iso) => (iso ? hhmm(iso).slice(0, 5) : "");
    const entries = t.entries.map((e) => {
      const what = e.kind === "notification" ?
        fill(gettext("%(channel)s通知 %(who)s：%(status)s"), { channel: e.what, who: e.who, status: e.status_label }) :
        [e.what, e.who, e.note].filter(Boolean).join(" · ");
      return `<li class="${e.kind === "notification" ? "st-" + esc(e.status) : ""}"><span class="t">${esc(time(e.at))}</span>` +
        `<span class="w">${esc(what)}</span></li>`;
    });
    for (const c of t.commands) {
      entries.push(`<li class="cmd"><span class="t">${esc(time(c.started_at))}</span><span class="w">` +
        esc(fill(gettext("一键指挥：%(plan)s（%(who)s）"), { plan: c.plan, who: c.started_by })) + `</span></li>`);
      for (const d of c.devices) {
        entries.push(`<li class="st-${esc(d.status)}"><span class="t">${esc(time(d.answered_at))}</span><span class="w">` +
          esc(fill(gettext("%(device)s %(action)s：%(status)s"), { device: d.device, action: d.action,
            status: d.status_label })) + (d.message ? ` · ${esc(d.message)}` : "") + `</span></li>`);
      }
    }
    timelineEl.innerHTML = `<div class="head">${esc(a.title)}</div><ol>${entries.reverse().join("")}</ol>`;
    fitList(timelineEl.querySelector("ol"), gettext("更早 %(n)s 条"));
    timelineEl.dataset.alarm = a.id;
  }

  function onMessage(msg) {
    if (msg.version != null) lastVersion = Math.max(lastVersion || 0, msg.version);
    if (msg.type === "alarm.snapshot") {
      // Open alarms at connect time (or what changed since our last version after a reconnect): listed, not sounded.
      (msg.alarms || []).forEach((a) => merge(a));
      renderFeed();
      refetchAlarmsSoon();
      refreshSoon(1500);
    } else if (msg.type === "alarm.changed") {
      show(msg);
      refetchAlarmsSoon();
      refreshSoon(1500);
    }
  }
  const freshIds = new Set();
  let lastVersion = null;
  function show(msg) {
    const a = msg.alarm;
    if (!a || a.id == null) return;
    const isNew = !alarms.has(a.id);
    const event = msg.event || "";
    const open = !a.closed_at;
    const critical = a.severity === "critical";
    const fresh = event === "raised" || (event === "retriggered" && isNew);
    if (fresh) { freshIds.add(a.id); setTimeout(() => freshIds.delete(a.id), 4000); }
    merge(a);
    renderFeed();
    if (a.id === timelineId) loadTimeline(300);
    const blockId = a.apartment ? a.apartment.id : null;
    const g = blockEls.get(blockId);
    if (g && open) {
      g.classList.remove("state-normal", "state-offline", "state-warning");
      g.classList.add(critical ? "state-alarm" : "state-warning");
      g.dataset.state = critical ? "alarm" : "warning";
    }
    cockpit.map && cockpit.map.alarm(blockId, critical && open, open);
    if (critical && open && fresh) {
      flashing.add(blockId);
      if (g) g.classList.add("flash");
      cockpit.map && cockpit.map.flash(blockId, true);
      cockpit.flashed.push({ id: blockId, alarm: a.id, at: performance.now() });
    } else if (!open || a.status !== "raised") {
      // Acknowledged or closed: someone is on it, the block stops flashing.
      flashing.delete(blockId);
      if (g) g.classList.remove("flash");
      cockpit.map && cockpit.map.flash(blockId, false);
    }
  }
  feed.addEventListener("click", (e) => {
    const li = e.target.closest("li[data-alarm]");
    if (!li) return;
    selectedId = Number(li.dataset.alarm);
    feed.querySelectorAll("li.selected").forEach((x) => x.classList.remove("selected"));
    li.classList.add("selected");
    chooseTimeline();
    openBlock(Number(li.dataset.block));
  });
  cockpit.onMessage = onMessage;
  cockpit.select = (id) => { selectedId = id; chooseTimeline(); };

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
  applyLive(state.live);
  body.dataset.ready = "1";
  cockpit.firstViewMs = performance.now();
  refreshSoon(60000);
  window.addEventListener("resize", () => {
    fit();
    Object.values(state.charts).forEach((c) => c.resize());
  });

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
