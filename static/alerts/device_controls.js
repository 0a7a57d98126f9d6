/* Emergency device actions for one block (trip the circuit, release the exit doors, elevators to the ground floor),
   shared by the station page and the cockpit's block drill-down. Each action asks for confirmation (with the
   reason the audit keeps), goes through the devices API (its permission rules), and then follows the device's
   answer live: sent → done / failed (with the device's message) / no answer in time.
   Text from Django's JavaScript catalog (loaded first). */
(function () {
  "use strict";
  const fill = (format, values) => interpolate(format, values, true);
  const csrf = () => (document.cookie.match(/(?:^|; )csrftoken=([^;]+)/) || [])[1] || "";
  const esc = (s) => String(s === null || s === undefined ? "" : s).replace(/[&<>"']/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));
  const POLL_MS = 1000;
  const OPEN = "sent";

  async function json(url, options) {
    const res = await fetch(url, Object.assign({ credentials: "same-origin", headers: { Accept: "application/json" } },
      options || {}));
    const body = await res.json().catch(() => ({}));
    return { ok: res.ok, status: res.status, body: body };
  }

  function resultText(cmd) {
    if (cmd.status === OPEN) return gettext("已下发, 等待设备应答…");
    const message = cmd.result_message ? ": " + cmd.result_message : "";
    return cmd.status_label + message;
  }

  function showResult(out, cmd) {
    out.textContent = resultText(cmd);
    out.dataset.status = cmd.status;
    out.className = "dc-result " + (cmd.status === "succeeded" ? "ok" : cmd.status === OPEN ? "wait" : "bad");
  }

  async function follow(deviceId, commandId, out) {
    // The API keeps the device's command open until it answers or its deadline passes (then: timed out).
    for (;;) {
      await new Promise((r) => setTimeout(r, POLL_MS));
      const r = await json(`/api/v1/devices/${deviceId}/commands/`);
      if (!r.ok) continue;
      const cmd = (r.body || []).find((c) => c.id === commandId);
      if (!cmd) continue;
      showResult(out, cmd);
      if (cmd.status !== OPEN) return cmd;
    }
  }

  function row(device, options) {
    const li = document.createElement("li");
    li.className = "dc-device" + (device.online ? "" : " off");
    li.dataset.device = device.key;
    const where = [device.location, device.floor !== null ? fill(gettext("%(floor)s层"), { floor: device.floor }) : ""]
      .filter(Boolean).join(" · ");
    li.innerHTML = `<div class="dc-name"><b>${esc(device.key)}</b> ${esc(device.type)}` +
      ` <span class="muted">${esc(where)}</span>` +
      (device.online ? "" : ` <span class="dc-off">${esc(gettext("离线"))}</span>`) + "</div>" +
      `<div class="dc-actions"></div><form class="dc-confirm" hidden>` +
      `<p class="dc-question"></p><input name="reason" maxlength="255" required>` +
      `<button type="submit" class="danger dc-yes">${esc(gettext("确认下发"))}</button>` +
      `<button type="button" class="secondary dc-no">${esc(gettext("取消"))}</button></form>` +
      `<p class="dc-result" role="status"></p>`;
    const buttons = li.querySelector(".dc-actions");
    const form = li.querySelector(".dc-confirm");
    const out = li.querySelector(".dc-result");
    let chosen = null;
    device.actions.forEach((a) => {
      const b = document.createElement("button");
      b.type = "button";
      b.className = "danger dc-action";
      b.dataset.action = a.action;
      b.textContent = a.label;
      b.disabled = !options.mayCommand;
      if (!options.mayCommand) b.title = gettext("您的角色不能向设备下发指令");
      b.onclick = () => {
        chosen = a;
        form.hidden = false;
        form.querySelector(".dc-question").textContent = fill(
          gettext("确认向 %(device)s (%(where)s) 下发“%(action)s”? 此操作会立即作用于现场设备。"),
          { device: device.key, where: where || device.type, action: a.label });
        form.reason.value = options.reason ? options.reason() : "";
        form.reason.focus();
      };
      buttons.appendChild(b);
    });
    li.querySelector(".dc-no").onclick = () => { form.hidden = true; chosen = null; };
    form.onsubmit = async (e) => {
      e.preventDefault();
      if (!chosen) return;
      form.querySelector(".dc-yes").disabled = true;
      out.className = "dc-result wait";
      out.textContent = gettext("正在下发…");
      const r = await json(`/api/v1/devices/${device.id}/commands/`, {
        method: "POST",
        headers: { "Content-Type": "application/json", "X-CSRFToken": csrf(), Accept: "application/json" },
        body: JSON.stringify({ action: chosen.action, reason: form.reason.value }),
      });
      form.querySelector(".dc-yes").disabled = false;
      if (!r.ok) {
        out.className = "dc-result bad";
        out.textContent = r.body.message || fill(gettext("下发失败 (%(status)s)"), { status: r.status });
        return;
      }
      form.hidden = true;
      showResult(out, r.body);
      if (r.body.status === OPEN) follow(device.id, r.body.id, out);
    };
    return li;
  }

  /* Show the block's devices that take an emergency action in ``box``. options: reason() gives the default reason. */
  async function mount(box, apartmentId, options) {
    options = options || {};
    box.dataset.apartment = apartmentId;
    box.innerHTML = `<p class="muted">${esc(gettext("正在加载设备…"))}</p>`;
    const r = await json(`/api/v1/devices/controls/?apartment=${encodeURIComponent(apartmentId)}`);
    if (box.dataset.apartment !== String(apartmentId)) return; // another block was chosen meanwhile
    if (!r.ok) {
      box.innerHTML = `<p class="muted">${esc(r.body.message || gettext("无法加载设备"))}</p>`;
      return;
    }
    const devices = r.body.results || [];
    if (!devices.length) {
      box.innerHTML = `<p class="muted">${esc(gettext("该公寓没有可远程控制的设备 (智慧用电、门禁、电梯)"))}</p>`;
      return;
    }
    const list = document.createElement("ul");
    list.className = "dc-list";
    devices.forEach((d) => list.appendChild(row(d, { mayCommand: r.body.may_command, reason: options.reason })));
    box.replaceChildren(list);
  }

  window.deviceControls = { mount: mount };
})();
