/* The block drill-down: floors, rooms, devices with sparklines, residents, alarms, hazards,
   inspections, feedback, and the one-click command of the alerts app. */
(function () {
  "use strict";
  const { esc, num, cookie, fill } = window.cockpitCommon;
  const detail = JSON.parse(document.getElementById("detail-data").textContent);
  const LIST_SEP = pgettext("between reasons", "，");

  // A sparkline on an honest scale (cockpit/blocks.py: from zero or the lowest value to the highest or the
  // alarm's peak), with the scale written beside it; too few points draw no line.
  function spark(sp, unit) {
    if (!sp) return "";
    if (!sp.enough) return `<div class="spark-none">${esc(gettext("近24小时数据不足"))}</div>`;
    const lo = sp.low, hi = sp.high, span = hi - lo || 1;
    const step = 150 / (sp.points.length - 1);
    const y = (v) => (21 - ((v - lo) / span) * 20).toFixed(1);
    const pts = sp.points.map((v, i) => `${(i * step).toFixed(1)},${y(v)}`).join(" ");
    const peak = sp.peak != null ? `<line class="peak" x1="0" x2="150" y1="${y(sp.peak)}" y2="${y(sp.peak)}"/>` : "";
    return `<div class="spark-row"><svg class="spark" viewBox="0 0 150 22" preserveAspectRatio="none">${peak}` +
      `<polyline points="${pts}"/></svg><span class="scale">${esc(fmt(hi))}<br>${esc(fmt(lo))}${esc(unit || "")}</span></div>`;
  }
  function device(d) {
    const vals = d.values.map((v) => `${esc(v.label)} ${v.yes_no ? esc(v.value ? gettext("是") : gettext("否")) :
      esc(fmt(v.value)) + esc(v.unit)}`).join(" · ");
    const unit = d.sparkline ? (d.values.find((v) => v.metric === d.sparkline.metric) || {}).unit : "";
    const state = d.alarm ? `<span class="st alarm">${esc(d.alarm.severity_label)} · ${esc(d.alarm.status_label)}</span>` :
      `<span class="st ${d.online ? "on" : "off"}">${esc(d.online ? gettext("在线") : gettext("离线"))}</span>`;
    return `<div class="device${d.online ? "" : " off"}${d.alarm ? " alarm" : ""}" data-device="${esc(d.key)}">` +
      state + `<div class="dn">${esc(d.type)}</div><div>${esc(d.location)}</div>` +
      (d.alarm ? `<div class="alarm-title">${esc(d.alarm.title)}</div>` : "") +
      `<div class="vals">${vals || esc(gettext("暂无数据"))}</div>${spark(d.sparkline, unit)}</div>`;
  }
  function fmt(v) { return Number.isInteger(v) ? v : Number(v).toFixed(2).replace(/\.?0+$/, ""); }

  function render(d) {
    const f = d.figures;
    const badge = document.getElementById("block-state");
    if (f) {
      badge.textContent = f.state_label;
      badge.className = `badge ${f.state}`;
      document.getElementById("block-risk").textContent = f.risk_reasons.length ?
        fill(gettext("风险分 %(score)s：%(reasons)s"), { score: f.risk_score, reasons: f.risk_reasons.join(LIST_SEP) }) :
        fill(gettext("风险分 %(score)s"), { score: f.risk_score });
    }
    document.getElementById("building-devices").innerHTML = d.building_devices.map(device).join("");
    document.getElementById("floors").innerHTML = d.floors.map((fl) => {
      const rooms = fl.rooms.map((r) => {
        const cls = r.occupants === 0 ? "empty" : r.occupants >= r.capacity ? "full" : "";
        return `<span class="room ${cls}" title="${esc(r.kind)}">${esc(r.number)} ${r.occupants}/${r.capacity}</span>`;
      }).join("");
      return `<div class="floor"><div class="fl">${fl.floor}F</div><div><div class="rooms">${rooms}</div>` +
        `<div class="devices">${fl.devices.map(device).join("")}</div></div></div>`;
    }).join("");
    const counts = f ? [
      [gettext("在住"), f.residents], [gettext("床位"), f.beds], [gettext("已登记"), f.registered],
      [gettext("未登记"), f.unregistered], [gettext("逾期未登记"), f.registration_overdue], [gettext("居住证"), f.permits],
      [gettext("设备在线"), `${f.devices_online}/${f.devices}`],
      [gettext("巡查覆盖"), f.patrol_coverage == null ? null : `${Math.round(f.patrol_coverage * 100)}%`],
    ] : [];
    document.getElementById("counts").innerHTML = counts.map(([label, v]) =>
      `<div class="tile"><div class="label">${esc(label)}</div><div class="value${v == null ? " pending" : ""}">` +
      `${esc(v == null ? gettext("待接入") : typeof v === "number" ? num(v) : v)}</div></div>`).join("");
    list("alarms", d.alarms, (a) => `<li class="${a.open ? "over" : ""}">${esc(a.kind)} ${esc(a.text || "")}` +
      `<span class="r">${esc(a.status)} ${esc(short(a.raised_at))}</span></li>`, gettext("近期无报警"));
    list("hazards", d.hazards, (h) => `<li class="${h.overdue ? "over" : ""}">[${esc(h.kind)}] ${esc(h.title)}` +
      `<span class="r">${esc(h.severity)} · ${esc(h.status)} · ${esc(fill(gettext("期限 %(date)s"), { date: h.deadline }))}` +
      `${h.overdue ? esc(gettext("（已逾期）")) : ""}</span></li>`, gettext("无未整改隐患"));
    list("inspections", d.inspections, (i) => `<li>${esc(i.kind)} · ${esc(i.inspector)}` +
      `<span class="r">${esc(i.status)} ${esc(short(i.signed_at))}</span></li>`, gettext("暂无检查记录"));
    list("feedback", d.feedback, (x) => `<li class="${x.overdue ? "over" : ""}">${esc(x.title)}` +
      `<span class="r">${esc(x.status)} ${esc(short(x.created_at))}</span></li>`, gettext("暂无待办诉求"));
    setupCommand(d.command);
    const controls = document.getElementById("device-controls");
    if (window.deviceControls && controls.dataset.apartment !== String(d.apartment.id)) {
      window.deviceControls.mount(controls, d.apartment.id, {
        reason: () => fill(gettext("驾驶舱处置: %(place)s"), { place: d.apartment.name }),
      });
    }
  }
  function short(iso) { return iso ? iso.slice(5, 16).replace("T", " ") : ""; }
  function list(id, rows, row, empty) {
    const el = document.getElementById(id);
    el.innerHTML = rows.length ? rows.map(row).join("") : `<li class="pending-note">${esc(empty)}</li>`;
  }

  // --- one-click command (the alerts app's API) -------------------------------------------------
  function setupCommand(cmd) {
    const btn = document.getElementById("command-open");
    const panel = document.getElementById("command-panel");
    if (!cmd) {
      btn.disabled = true;
      btn.title = gettext("没有启用的应急预案, 请先在后台启用预案");
      return;
    }
    btn.disabled = false;
    btn.onclick = () => { panel.hidden = !panel.hidden; };
    const choices = (cmd.choices || []).map((c) => `<option value="${esc(c.value)}">${esc(c.label)}</option>`).join("");
    document.getElementById("command-body").innerHTML =
      `<form class="command-form" id="command-form">` +
      `<label>${esc(cmd.choice_label)} <select name="choice">${choices}</select></label>` +
      `<textarea name="text" rows="3" maxlength="500">${esc(cmd.default_text || "")}</textarea>` +
      `<button class="btn" type="submit" id="command-send">${esc(gettext("立即下达指挥"))}</button>` +
      `<div class="command-result" id="command-result" role="status"></div></form>`;
    document.getElementById("command-form").addEventListener("submit", async (e) => {
      e.preventDefault();
      const form = e.target, out = document.getElementById("command-result");
      const payload = { ...(cmd.payload || {}) };
      payload[cmd.choice_field] = /^\d+$/.test(form.choice.value) ? Number(form.choice.value) : form.choice.value;
      payload[cmd.text_field] = form.text.value;
      out.textContent = gettext("正在下达…");
      form.querySelector("button").disabled = true;
      try {
        const r = await fetch(cmd.url, { method: "POST", credentials: "same-origin",
          headers: { "Content-Type": "application/json", "X-CSRFToken": cookie("csrftoken"), Accept: "application/json" },
          body: JSON.stringify(payload) });
        const data = await r.json().catch(() => ({}));
        if (r.ok) {
          const people = (data.participants || []).map((p) =>
            fill(gettext("%(name)s（%(role)s）%(status)s"), { name: p.name, role: p.role, status: p.status_label }))
            .join(LIST_SEP);
          out.textContent = fill(gettext("指挥已下达：%(plan)s"), { plan: data.plan || "" }) +
            (people ? fill(gettext("；联动：%(people)s"), { people: people }) : "");
        } else {
          out.textContent = data.message || fill(gettext("下达失败（%(status)s）"), { status: r.status });
        }
        out.dataset.ok = r.ok ? "1" : "0";
      } catch (err) {
        out.textContent = gettext("网络中断，指挥未下达，请重试");
        out.dataset.ok = "0";
      }
      form.querySelector("button").disabled = false;
    });
  }

  render(detail);
  document.body.dataset.ready = "1";
})();
