/* The three alarm ends: one WebSocket (/ws/alerts/) with catch-up on reconnect, actions over the REST API.
   Text comes from Django's JavaScript catalog (gettext, ngettext, interpolate: /jsi18n/, loaded first). */
(function () {
  "use strict";
  const LANG = document.documentElement.lang || "zh-hans";
  const fill = (format, values) => interpolate(format, values, true);
  const END = document.body.dataset.end;
  const MAY_COMMAND = document.body.dataset.mayCommand === "1";
  const SEV_RANK = { critical: 0, major: 1, minor: 2, warning: 3 };
  const USER_ID = Number(document.body.dataset.userId);
  const alarms = new Map();
  const commands = new Map();  // one-click commands this end knows of (loaded at start, then pushed)
  let version = null;
  let selected = null;
  let socket = null;
  let retry = 500;

  const $ = (id) => document.getElementById(id);
  const csrf = () => (document.cookie.match(/(?:^|; )csrftoken=([^;]+)/) || [])[1] || "";
  const time = (iso) => (iso ? new Date(iso).toLocaleTimeString(LANG, { hour12: false }) : "");
  const when = (iso) => (iso ? new Date(iso).toLocaleString(LANG, { hour12: false, month: "numeric", day: "numeric",
    hour: "2-digit", minute: "2-digit", second: "2-digit" }) : "");
  const esc = (v) => String(v === null || v === undefined ? "" : v).replace(/[&<>"']/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));
  const fmt = (v) => (v === null || v === undefined ? "" : Number(v).toLocaleString(LANG, { maximumFractionDigits: 2 }));
  const SEVERITIES = [
    ["critical", gettext("紧急")], ["major", gettext("重要")], ["minor", gettext("次要")], ["warning", gettext("预警")],
  ];

  function setConn(ok, text) {
    const el = $("conn");
    el.textContent = text;
    el.className = "conn " + (ok ? "on" : "off");
  }

  function connect() {
    const proto = location.protocol === "https:" ? "wss:" : "ws:";
    const since = version === null ? "" : "&since=" + version;
    socket = new WebSocket(proto + "//" + location.host + "/ws/alerts/?end=" + END + since);
    // (Re)connected: the commands too are read afresh (a push missed while away must not hide a problem).
    socket.onopen = () => { retry = 500; setConn(true, gettext("实时连接")); loadCommands(); };
    socket.onclose = () => {
      setConn(false, gettext("已断开, 正在重连…"));
      setTimeout(connect, retry);
      retry = Math.min(retry * 2, 10000);
    };
    socket.onmessage = (e) => receive(JSON.parse(e.data));
  }

  function receive(msg) {
    if (msg.type === "alarm.snapshot") {
      if (msg.since === null) alarms.clear();
      msg.alarms.forEach(upsert);
      version = Math.max(version || 0, msg.version);
      render();
    } else if (msg.type === "alarm.changed") {
      upsert(msg.alarm);
      version = Math.max(version || 0, msg.version);
      render();
      if (msg.event === "raised") flash(msg.alarm);
    } else if (msg.type === "command.changed") {
      commandChanged(msg.command);
    } else if (msg.type === "error") {
      showError(msg.alarm_id, msg.message);
    }
  }

  function upsert(a) {
    const old = alarms.get(a.id);
    if (old && old.version > a.version) return;
    if (a.status === "closed") alarms.delete(a.id); else alarms.set(a.id, a);
  }

  function flash(a) {
    document.title = fill(gettext("【%(level)s】%(title)s"), { level: a.severity_label, title: a.title }) + " · e智办";
    if (navigator.vibrate) navigator.vibrate([300, 100, 300]);
  }

  function render() {
    const list = $("alarms");
    const rows = [...alarms.values()].sort(
      (a, b) => SEV_RANK[a.severity] - SEV_RANK[b.severity] || (a.raised_at < b.raised_at ? 1 : -1));
    // A card whose alarm did not change is kept as it is (an operator may be typing a note in it); a changed
    // card is rebuilt with its open forms and what was typed in them carried over.
    const focused = list.contains(document.activeElement) ? document.activeElement : null;
    const kept = new Map([...list.children].map((n) => [Number(n.dataset.id), n]));
    list.replaceChildren(...rows.map((a) => {
      const old = kept.get(a.id);
      if (old && Number(old.dataset.version) === a.version && old.classList.contains("selected") === (a.id === selected)) {
        return old;
      }
      const node = card(a);
      if (old) carryOver(old, node);
      return node;
    }));
    if (focused && document.activeElement !== focused) {
      const same = list.querySelector(`[data-id="${focused.closest("[data-id]")?.dataset.id}"] [name="${focused.name}"]`);
      (list.contains(focused) ? focused : same)?.focus();
    }
    $("empty").hidden = rows.length > 0;
    const open = rows.filter((a) => a.status === "raised").length;
    $("summary").textContent = rows.length ?
      fill(ngettext("共 %(n)s 条告警, %(open)s 条未确认", "共 %(n)s 条告警, %(open)s 条未确认", rows.length),
        { n: rows.length, open: open }) : "";
    const stats = $("stats");
    if (stats) {
      const by = (s) => rows.filter((a) => a.severity === s).length;
      stats.innerHTML = SEVERITIES.map(([k, label]) =>
        `<div class="stat sev-${k}"><b>${by(k)}</b><span>${label}</span></div>`).join("");
    }
    for (const [id, p] of cardPlayers) if (!alarms.has(id)) { p.destroy(); cardPlayers.delete(id); }
    if (window.ShijiaoSound) window.ShijiaoSound.update(alarms.values());
    if (selected && !alarms.has(selected)) selected = null;
    if (selected) showCamera(alarms.get(selected));
  }

  function carryOver(from, to) {
    const video = from.querySelector(".card-video");
    if (video && !video.hidden) to.querySelector(".card-video").replaceWith(video);  // keeps the stream playing
    for (const sel of [".note-form", ".close-form"]) {
      const a = from.querySelector(sel), b = to.querySelector(sel);
      if (!a || !b) continue;
      b.hidden = a.hidden;
      for (const field of a.querySelectorAll("[name]")) {
        const twin = b.querySelector(`[name="${field.name}"]`);
        if (twin && field.type !== "file") twin.value = field.value;
      }
    }
  }

  function card(a) {
    const node = $("alarm-card").content.firstElementChild.cloneNode(true);
    node.dataset.id = a.id;
    node.dataset.version = a.version;
    node.classList.add("sev-" + a.severity, "st-" + a.status);
    if (a.id === selected) node.classList.add("selected");
    node.querySelector(".sev").textContent = a.severity_label;
    node.querySelector(".title").textContent = a.title;
    node.querySelector(".status").textContent = a.cleared_at ? a.status_label + " · " + gettext("已恢复") : a.status_label;
    const where = a.device ? ` · ${a.device.location || a.device.key}` : "";
    node.querySelector(".place").textContent = a.apartment.name + where;
    node.querySelector(".value").textContent = a.last_value === null || !a.unit ? "" :
      fill(a.cleared_at ? gettext("恢复时 %(value)s %(unit)s · 峰值 %(peak)s %(unit)s") :
        gettext("当前 %(value)s %(unit)s · 峰值 %(peak)s %(unit)s"),
        { value: fmt(a.last_value), peak: fmt(a.peak_value), unit: a.unit }) +
      (a.trigger_count > 1 ? " · " + fill(ngettext("触发 %(n)s 次", "触发 %(n)s 次", a.trigger_count), { n: a.trigger_count }) : "");
    // A late reading (a device emptying its buffer) shows when it happened and when the platform learned of it.
    let times = a.learned_late ?
      fill(gettext("发生 %(occurred)s · 获知 %(learned)s"), { occurred: when(a.raised_at), learned: when(a.learned_at) }) :
      fill(gettext("告警 %(time)s"), { time: time(a.raised_at) });
    if (a.acknowledged_at) {
      times += " · " + fill(gettext("%(who)s 于 %(time)s 在%(end)s确认"),
        { who: a.acknowledged_by, time: time(a.acknowledged_at), end: a.acknowledged_via_label });
    }
    node.querySelector(".times").textContent = times;
    node.querySelector(".times").classList.toggle("late", !!a.learned_late);
    const ack = node.querySelector(".ack");
    ack.hidden = a.status !== "raised";
    ack.onclick = () => act(a.id, "acknowledge", { end: END });
    node.querySelector(".onsite").onclick = () => act(a.id, "handle", { end: END, responder: "true" });
    node.querySelector(".note-btn").onclick = () => toggle(node, ".note-form");
    node.querySelector(".close-btn").onclick = () => toggle(node, ".close-form");
    const videoBtn = node.querySelector(".video-btn");
    videoBtn.hidden = !(END === "phone" && a.camera);
    videoBtn.onclick = () => toggleCardVideo(node, a);
    const cmd = node.querySelector(".command-btn");
    cmd.hidden = !MAY_COMMAND;
    cmd.onclick = () => select(a.id, true);
    node.querySelector(".note-form").onsubmit = (e) => {
      e.preventDefault();
      const data = new FormData(e.target);
      data.append("end", END);
      act(a.id, "handle", data);
    };
    node.querySelector(".close-form").onsubmit = (e) => {
      e.preventDefault();
      const f = new FormData(e.target);
      act(a.id, "close", { end: END, disposition: f.get("disposition"), note: f.get("note") });
    };
    node.onclick = (e) => { if (e.target.tagName !== "BUTTON" && !e.target.closest("form")) select(a.id, false); };
    return node;
  }

  function toggle(node, sel) { const f = node.querySelector(sel); f.hidden = !f.hidden; }

  async function act(id, action, body) {
    const isForm = body instanceof FormData;
    const res = await fetch(`/api/v1/alarms/${id}/${action}/`, {
      method: "POST", credentials: "same-origin",
      headers: isForm ? { "X-CSRFToken": csrf() } : { "Content-Type": "application/json", "X-CSRFToken": csrf() },
      body: isForm ? body : JSON.stringify(body),
    });
    if (!res.ok) {
      const err = await res.json().catch(() => ({ message: fill(gettext("操作失败 (%(status)s)"), { status: res.status }) }));
      showError(id, err.message);
    }
  }

  function showError(id, message) {
    const node = document.querySelector(`.alarm[data-id="${id}"] .error`);
    if (node) { node.textContent = message; node.hidden = false; } else alert(message);
  }

  function select(id, forCommand) {
    selected = id;
    document.querySelectorAll(".alarm").forEach((n) => n.classList.toggle("selected", Number(n.dataset.id) === id));
    const a = alarms.get(id);
    showCamera(a);
    const controls = $("device-controls");
    if (controls && a && window.deviceControls && controls.dataset.apartment !== String(a.apartment.id)) {
      window.deviceControls.mount(controls, a.apartment.id, {
        reason: () => fill(gettext("告警处置: %(place)s %(title)s"), { place: a.apartment.name, title: a.title }),
      });
    }
    const target = $("command-target");
    if (target && a) target.textContent = fill(gettext("告警: %(place)s %(title)s"), { place: a.apartment.name, title: a.title });
    if (forCommand && $("plan")) $("plan").focus();
  }

  // The station's and the panel's right column plays the selected alarm's nearest camera.
  let player = null;
  function showCamera(a) {
    const box = $("camera");
    if (!box || !a) return;
    if (box.dataset.alarm === String(a.id) && box.dataset.cam === String(a.camera && a.camera.id)) return;
    box.dataset.alarm = a.id;
    box.dataset.cam = a.camera && a.camera.id;
    if (player) { player.destroy(); player = null; }
    if (!a.camera) {
      box.innerHTML = `<p class="muted">${fill(gettext("%(place)s 未登记摄像头"), { place: a.apartment.name })}</p>`;
      return;
    }
    box.replaceChildren();
    const screen = document.createElement("div");
    const caption = document.createElement("p");
    box.append(screen, caption);
    player = window.ShijiaoVideo.mount(screen, a.camera);
    captionFor(caption, a);
  }

  function captionFor(caption, a) {
    const c = a.camera;
    const floor = c.floor !== null ? " " + fill(gettext("(%(floor)s层)"), { floor: c.floor }) : "";
    caption.className = "camera-caption";
    caption.textContent = `${a.apartment.name} · ${c.name}${floor} · ${c.protocol.toUpperCase()} `;
    const link = document.createElement("a");
    link.href = c.stream_url;
    link.target = "_blank";
    link.rel = "noopener";
    link.textContent = gettext("打开直播");
    caption.append(link);
  }

  // The phone shows the camera inside the alarm's card, opened with a tap (a stream costs mobile data).
  const cardPlayers = new Map();
  function toggleCardVideo(node, a) {
    const box = node.querySelector(".card-video");
    const open = cardPlayers.get(a.id);
    if (open) {
      open.destroy();
      cardPlayers.delete(a.id);
      box.hidden = true;
      box.replaceChildren();
      return;
    }
    box.hidden = false;
    const screen = document.createElement("div");
    const caption = document.createElement("p");
    box.replaceChildren(screen, caption);
    cardPlayers.set(a.id, window.ShijiaoVideo.mount(screen, a.camera));
    captionFor(caption, a);
  }

  async function loadPlans() {
    const select = $("plan");
    if (!select) return;
    const res = await fetch("/api/v1/plans/", { credentials: "same-origin" });
    if (!res.ok) return;
    const data = await res.json();
    select.innerHTML = data.results.map((p) => `<option value="${p.id}">${p.category_label} · ${p.name}</option>`).join("");
    $("command-form").onsubmit = async (e) => {
      e.preventDefault();
      if (!selected) { $("command-target").textContent = gettext("请先选择一条告警"); return; }
      const res = await fetch("/api/v1/commands/", {
        method: "POST", credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRFToken": csrf() },
        body: JSON.stringify({ plan: Number(select.value), alarm: selected }),
      });
      const body = await res.json();
      if (!res.ok) { $("command-target").textContent = body.message; return; }
      currentCommand = null;
      commandChanged(body);
    };
  }

  let currentCommand = null;
  function showCommand(c) {
    const live = $("command-live");
    if (!live) return;
    if (currentCommand && c.id !== currentCommand && !(selected && c.alarm_id === selected)) return;
    currentCommand = c.id;
    live.hidden = false;
    live.dataset.command = c.id;
    $("command-title").textContent = `${c.plan}: ${c.what} (${c.status === "active" ? gettext("进行中") : gettext("已结束")})`;
    $("command-problems").innerHTML = (c.problems || []).map((a) => `<li>${esc(problemText(a))}</li>`).join("");
    $("command-video").innerHTML = c.video_url ?
      `${gettext("视频会商:")} <a href="${esc(c.video_url)}" target="_blank" rel="noopener">${esc(c.video_url)}</a>` : "";
    $("command-actions").innerHTML = (c.device_actions || []).map((a) =>
      `<li class="a-${esc(a.status)}" data-device="${esc(a.device)}"><b>${esc(a.action_label)}</b> ` +
      `${esc(a.device)} (${esc(a.location)}) <span>${esc(a.status_label)}${a.message ? ": " + esc(a.message) : ""}` +
      `</span></li>`).join("");
    $("command-people").innerHTML = c.participants.map(
      (p) => `<li class="p-${esc(p.status)}"><b>${esc(p.name)}</b> ${esc(p.role)} <span>${esc(p.status_label)}</span></li>`).join("");
    $("command-timeline").innerHTML = c.timeline.map(
      (t) => `<li class="${t.problem ? "problem" : ""}"><time>${time(t.at)}</time> ${esc(t.text)}</li>`).join("");
  }

  function problemText(a) {
    return fill(gettext("%(action)s %(device)s (%(where)s): %(status)s%(message)s, 请派人到现场处置"), {
      action: a.action_label, device: a.device, where: a.location, status: a.status_label,
      message: a.message ? " — " + a.message : "",
    });
  }

  function commandChanged(c) {
    commands.set(c.id, c);
    showCommand(c);
    renderProblems();
    renderMyCommands();
  }

  // Failed or unanswered device actions of the commands still going: red, at the top of the page, until handled.
  function renderProblems() {
    const box = $("problems");
    if (!box) return;
    const lines = [];
    for (const c of commands.values()) {
      if (c.status !== "active") continue;
      for (const a of c.problems || []) {
        lines.push(`<li data-command="${c.id}" data-device="${esc(a.device)}">` +
          `${esc(fill(gettext("一键指挥 #%(id)s %(plan)s"), { id: c.id, plan: c.plan }))}: ${esc(problemText(a))}</li>`);
      }
    }
    $("problem-list").innerHTML = lines.join("");
    box.hidden = lines.length === 0;
  }

  // The phone: commands in which this person has a task, with "confirm" and "I am on site".
  function renderMyCommands() {
    const box = $("my-commands");
    if (!box) return;
    const mine = [...commands.values()].filter((c) => c.status === "active" &&
      c.participants.some((p) => p.user_id === USER_ID));
    box.hidden = mine.length === 0;
    $("my-command-list").replaceChildren(...mine.map(task));
  }

  function task(c) {
    const me = c.participants.find((p) => p.user_id === USER_ID);
    const node = document.createElement("article");
    node.className = "task";
    node.dataset.command = c.id;
    const waiting = (c.device_actions || []).filter((a) => a.status === "waiting");
    node.innerHTML = `<div class="t-title">${esc(c.plan)}: ${esc(c.what)}</div>` +
      `<div class="place">${esc(c.apartment || "")}</div>` +
      `<div class="t-me">${esc(fill(gettext("我的状态: %(status)s"), { status: me.status_label }))}</div>` +
      (waiting.length ? `<p class="muted">${esc(fill(gettext("确认后执行: %(actions)s"), {
        actions: waiting.map((a) => `${a.action_label} ${a.device}`).join(pgettext("between names", "、")) }))}</p>` : "") +
      `<ul class="command-problems">${(c.problems || []).map((a) => `<li>${esc(problemText(a))}</li>`).join("")}</ul>` +
      `<ul class="actions-list">${(c.device_actions || []).map((a) => `<li class="a-${esc(a.status)}">` +
        `${esc(a.action_label)} ${esc(a.device)} <span>${esc(a.status_label)}</span></li>`).join("")}</ul>` +
      `<div class="actions"><button class="confirm-task">${esc(gettext("确认接收任务"))}</button>` +
      `<button class="arrive-task secondary">${esc(gettext("我已到场"))}</button></div><p class="error" hidden></p>`;
    const confirmed = me.status === "confirmed" || me.status === "arrived";
    node.querySelector(".confirm-task").hidden = confirmed;
    node.querySelector(".arrive-task").hidden = me.status === "arrived";
    node.querySelector(".confirm-task").onclick = () => commandAct(c.id, "confirm", node);
    node.querySelector(".arrive-task").onclick = () => commandAct(c.id, "arrive", node);
    return node;
  }

  async function commandAct(id, action, node) {
    node.querySelectorAll("button").forEach((b) => { b.disabled = true; });
    const res = await fetch(`/api/v1/commands/${id}/${action}/`, {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf() }, body: "{}",
    });
    const body = await res.json().catch(() => ({}));
    if (!res.ok) {
      node.querySelectorAll("button").forEach((b) => { b.disabled = false; });
      const err = node.querySelector(".error");
      err.textContent = body.message || fill(gettext("操作失败 (%(status)s)"), { status: res.status });
      err.hidden = false;
      return;
    }
    commandChanged(body);
  }

  async function loadCommands() {
    const res = await fetch("/api/v1/commands/", { credentials: "same-origin" });
    if (!res.ok) return;
    const data = await res.json();
    data.results.slice().reverse().forEach((c) => commands.set(c.id, c));
    if (data.results.length && $("command-live") && !currentCommand) showCommand(data.results[0]);
    renderProblems();
    renderMyCommands();
  }

  connect();
  loadPlans();
})();
