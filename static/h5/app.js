/* e智办 H5: the resident's mini-program flows in a phone browser, on the same /api/v1/ as the mini-program.
   Its words come from Django's JavaScript catalog (/jsi18n/, loaded first): gettext(), ngettext(), interpolate(). */
(function () {
  "use strict";
  const API = window.H5.api;
  const LANGUAGE = document.documentElement.lang || "zh-hans"; // the API answers (errors, labels) in the page's language
  const fmt = (text, values) => interpolate(text, values, !Array.isArray(values));
  const view = document.getElementById("view");
  const store = window.localStorage;

  // --- small helpers ------------------------------------------------------------------------------
  const esc = (v) => String(v == null ? "" : v).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));
  const $ = (sel) => view.querySelector(sel);
  // Every part two digits (no "2026/12/4 22:56:" from slicing an unpadded date).
  const when = (iso) => (iso ? new Date(iso).toLocaleString("zh-CN", { timeZone: "Asia/Shanghai", hour12: false, year: "numeric",
    month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit" }) : "");
  function toast(text) {
    const el = document.getElementById("toast");
    el.textContent = text;
    el.hidden = false;
    clearTimeout(toast.t);
    toast.t = setTimeout(() => (el.hidden = true), 2600);
  }
  function page(title, html, back) {
    document.getElementById("bar-title").textContent = title;
    document.getElementById("back").hidden = !back;
    document.getElementById("logout").hidden = !tokens();
    view.innerHTML = html;
    window.scrollTo(0, 0);
  }
  const go = (hash) => (location.hash = hash);

  // --- tokens and API calls ---------------------------------------------------------------------------
  function tokens() {
    try { return JSON.parse(store.getItem("h5.tokens") || "null"); } catch (e) { return null; }
  }
  function saveTokens(t) {
    if (t) store.setItem("h5.tokens", JSON.stringify({ access: t.access, refresh: t.refresh, user: t.user }));
    else store.removeItem("h5.tokens");
  }
  class ApiError extends Error {
    constructor(status, body) { super((body && body.message) || gettext("网络错误, 请稍后再试")); this.status = status; this.body = body || {}; }
  }
  async function call(method, path, body, retried) {
    const headers = { Accept: "application/json", "Accept-Language": LANGUAGE };
    const t = tokens();
    if (t) headers.Authorization = "Bearer " + t.access;
    let payload;
    if (body instanceof FormData) payload = body;
    else if (body !== undefined) { headers["Content-Type"] = "application/json"; payload = JSON.stringify(body); }
    let res;
    try { res = await fetch(path.startsWith("http") || path.startsWith("/") ? path : API + path, { method, headers, body: payload }); }
    catch (e) { throw new ApiError(0, { message: gettext("网络不通, 请检查网络后重试") }); }
    const data = res.status === 204 ? null : await res.json().catch(() => null);
    if (res.status === 401 && t && !retried && data && data.code === "token_expired") {
      const renewed = await fetch(API + "auth/refresh/", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ refresh: t.refresh }) });
      if (renewed.ok) { saveTokens(await renewed.json()); return call(method, path, body, true); }
    }
    if (res.status === 401) { saveTokens(null); go("#/login"); }
    if (!res.ok) throw new ApiError(res.status, data);
    return data;
  }
  function showErrors(form, err) {
    form.querySelectorAll(".error").forEach((e) => e.remove());
    const fields = (err.body && err.body.errors) || {};
    let placed = false;
    Object.keys(fields).forEach((name) => {
      const input = form.querySelector(`[name="${name}"]`);
      if (input) {
        input.insertAdjacentHTML("afterend", `<div class="error">${esc(fields[name].join(" "))}</div>`);
        placed = true;
      }
    });
    if (!placed) toast(err.message);
  }
  function formBody(form) {
    const out = {};
    new FormData(form).forEach((v, k) => { if (!(v instanceof File)) out[k] = v; });
    form.querySelectorAll("input[type=checkbox]").forEach((c) => (out[c.name] = c.checked));
    return out;
  }
  function onSubmit(form, handler) {
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      const button = form.querySelector("button[type=submit]");
      if (button) button.disabled = true;
      try { await handler(form); } catch (err) { if (err instanceof ApiError) showErrors(form, err); else throw err; }
      finally { if (button) button.disabled = false; }
    });
  }
  const results = (data) => (Array.isArray(data) ? data : data.results || []);
  // A list that loads its next page as the resident scrolls to its end (the API pages by 20).
  const local = (url) => { if (!url) return null; const u = new URL(url, location.href); return u.pathname + u.search; };
  async function paged(el, path, render, empty) {
    const first = await call("GET", path);
    const rows = results(first);
    el.innerHTML = rows.length ? rows.map(render).join("") : empty;
    let next = local(first && first.next);
    if (!next) return;
    const sentinel = document.createElement("p");
    sentinel.className = "empty more";
    sentinel.textContent = gettext("加载更多…");
    el.after(sentinel);
    let busy = false;
    const more = async () => {
      if (busy || !next || !sentinel.isConnected || sentinel.getBoundingClientRect().top > window.innerHeight + 200) return;
      busy = true;
      try {
        const data = await call("GET", next);
        el.insertAdjacentHTML("beforeend", results(data).map(render).join(""));
        next = local(data.next);
      } catch (err) { toast(err.message); next = null; }
      busy = false;
      if (!next) { observer.disconnect(); sentinel.textContent = gettext("没有更多了"); return; }
      more(); // still on screen (a short page): keep going
    };
    const observer = new IntersectionObserver(more, { rootMargin: "200px" });
    observer.observe(sentinel);
  }

  // --- login ------------------------------------------------------------------------------------------
  function login() {
    page(gettext("登录 e智办"), `
      <div class="hero"><b>${gettext("石桥街道 · 新市民服务")}</b><p>${gettext("找工作、找住房、办居住证、咨询留言, 一个手机号就能办")}</p></div>
      <div class="tabs"><button data-tab="sms" class="on">${gettext("手机验证码")}</button><button data-tab="pw">${gettext("账号密码")}</button></div>
      <form id="sms" class="card">
        <label for="phone">${gettext("手机号")}</label>
        <div class="inline"><input id="phone" name="phone" inputmode="tel" maxlength="11" placeholder="${gettext("11 位手机号")}" autocomplete="tel">
        <button type="button" id="send" class="small secondary">${gettext("获取验证码")}</button></div>
        <label for="code">${gettext("验证码")}</label>
        <input id="code" name="code" inputmode="numeric" maxlength="6" placeholder="${gettext("6 位数字")}" autocomplete="one-time-code">
        <button type="submit" class="primary">${gettext("登录")}</button>
        <p class="muted">${gettext("首次登录自动注册。微信小程序中可一键微信登录。")}</p>
      </form>
      <form id="pw" class="card" hidden>
        <label for="username">${gettext("账号")}</label><input id="username" name="username" autocomplete="username">
        <label for="password">${gettext("密码")}</label><input id="password" name="password" type="password" autocomplete="current-password">
        <button type="submit" class="primary">${gettext("登录")}</button>
      </form>`);
    view.querySelectorAll("[data-tab]").forEach((b) => b.addEventListener("click", () => {
      view.querySelectorAll("[data-tab]").forEach((x) => x.classList.toggle("on", x === b));
      $("#sms").hidden = b.dataset.tab !== "sms";
      $("#pw").hidden = b.dataset.tab !== "pw";
    }));
    $("#send").addEventListener("click", async () => {
      const form = $("#sms");
      const button = $("#send");
      button.disabled = true;
      try {
        const sent = await call("POST", "auth/sms/code/", { phone: $("#phone").value.trim() });
        const minutes = Math.round(sent.expires_in / 60);
        toast(fmt(ngettext("验证码已发送, %s 分钟内有效", "验证码已发送, %s 分钟内有效", minutes), [minutes]));
        let wait = sent.resend_after;
        const tick = setInterval(() => {
          button.textContent = wait > 0 ? fmt(ngettext("%s 秒", "%s 秒", wait), [wait]) : gettext("获取验证码");
          if (--wait < 0) { clearInterval(tick); button.disabled = false; }
        }, 1000);
      } catch (err) { button.disabled = false; showErrors(form, err); }
    });
    const done = (t) => { saveTokens(t); toast(gettext("登录成功")); go(sessionStorage.getItem("h5.scan") ? "#/residence" : "#/"); };
    onSubmit($("#sms"), async (f) => done(await call("POST", "auth/sms/login/", formBody(f))));
    onSubmit($("#pw"), async (f) => done(await call("POST", "auth/password/", formBody(f))));
  }

  // --- home -------------------------------------------------------------------------------------------
  const MODULES = [ // [route, one-character icon, name]
    ["#/jobs", pgettext("home tile icon", "工"), gettext("找工作")], ["#/rentals", pgettext("home tile icon", "房"), gettext("找住房")],
    ["#/clinics", pgettext("home tile icon", "医"), gettext("找医生")], ["#/residence", pgettext("home tile icon", "证"), gettext("办证")],
    ["#/guides/social_security", pgettext("home tile icon", "保"), gettext("社保")],
    ["#/guides/schooling", pgettext("home tile icon", "学"), gettext("子女入学")],
    ["#/guides/legal_aid", pgettext("home tile icon", "法"), gettext("法律援助")],
    ["#/convenience", pgettext("home tile icon", "便"), gettext("便民")],
  ];
  async function home() {
    const me = tokens();
    page(gettext("e智办 · 新市民服务"), `
      <div class="hero"><b>${me && me.user && me.user.display_name ? fmt(gettext("你好, %s"), [esc(me.user.display_name)]) : gettext("你好")}</b><p>${gettext("石桥街道欢迎你, 有事找 e智办")}</p></div>
      <div class="grid">${MODULES.map(([h, i, t]) => `<a class="tile" href="${h}"><span>${i}</span>${t}</a>`).join("")}</div>
      <div class="card" style="margin-top:12px"><a class="row" href="#/ask"><h2>${gettext("咨询留言 · 反馈问题")}</h2><p class="muted">${gettext("街道、物业、职能部门限时答复")}</p></a>
        <a class="row" href="#/my-questions"><p>${gettext("我的留言 ›")}</p></a><a class="row" href="#/board"><p>${gettext("看看大家问了什么 ›")}</p></a></div>
      <div id="notices"></div>`);
    const notices = await call("GET", "notices/");
    $("#notices").innerHTML = `<h2 style="font-size:16px;margin:14px 4px 8px">${gettext("通知公告")}</h2>` + (notices.length ? notices.slice(0, 5).map((n) => `
      <div class="card"><h3>${n.is_pinned ? `<span class="tag">${gettext("置顶")}</span> ` : ""}${esc(n.title)}</h3><p>${esc(n.body)}</p>
      <p class="muted">${esc(n.apartment || gettext("石桥街道"))} · ${when(n.published_at)}</p></div>`).join("") : `<p class="empty">${gettext("暂无通知")}</p>`);
  }

  // --- jobs ---------------------------------------------------------------------------------------------
  async function jobs() {
    const q = new URLSearchParams(location.hash.split("?")[1] || "");
    page(gettext("找工作"), `
      <form id="filter" class="card"><div class="inline"><input name="search" placeholder="${gettext("搜岗位、企业、地点")}" value="${esc(q.get("search") || "")}">
      <button class="small primary" type="submit">${gettext("搜索")}</button></div>
      <label class="check"><input type="checkbox" name="dormitory" ${q.get("dormitory") ? "checked" : ""}> ${gettext("只看包住宿")}</label></form>
      <div id="list"><p class="empty">${gettext("加载中…")}</p></div>`, true);
    onSubmit($("#filter"), async (f) => {
      const p = new URLSearchParams();
      if (f.search.value.trim()) p.set("search", f.search.value.trim());
      if (f.dormitory.checked) p.set("dormitory", "true");
      go("#/jobs?" + p.toString());
    });
    const params = new URLSearchParams();
    if (q.get("search")) params.set("search", q.get("search"));
    if (q.get("dormitory")) params.set("dormitory", "true");
    await paged($("#list"), "jobs/?" + params.toString(), (j) => `
      <a class="row card" href="#/jobs/${j.id}"><h3>${esc(j.title)} <span class="wage status">${fmt(gettext("%(min)s-%(max)s元/月"), { min: j.wage_min, max: j.wage_max })}</span></h3>
      <p class="muted">${esc(j.enterprise)} · ${esc(j.location)}</p>
      <div class="tags">${j.dormitory_provided ? `<span class="tag ok">${gettext("包住宿")}</span>` : ""}${esc(j.benefits).split(/[,，]/).filter(Boolean).map((b) => `<span class="tag grey">${b.trim()}</span>`).join("")}</div></a>`,
      `<p class="empty">${gettext("没有找到合适的岗位, 换个关键词试试")}</p>`);
  }
  async function job(id) {
    const j = await call("GET", `jobs/${id}/`);
    page(j.title, `
      <div class="card"><h2>${esc(j.title)}</h2><p class="wage">${fmt(gettext("%(min)s-%(max)s 元/月"), { min: j.wage_min, max: j.wage_max })}</p>
      <p>${esc(j.enterprise)}${j.enterprise_industry ? " · " + esc(j.enterprise_industry) : ""}</p>
      <p class="muted">${fmt(gettext("工作时间: %s"), [esc(j.working_hours)])}<br>${fmt(gettext("工作地点: %s"), [esc(j.location)])}<br>${fmt(gettext("招聘人数: %s"), [j.headcount])}<br>${fmt(gettext("福利: %s"), [esc(j.benefits)])}${j.dormitory_provided ? "<br>" + gettext("提供宿舍") : ""}</p>
      <p>${esc(j.description)}</p><p class="muted">${fmt(gettext("联系人: %s"), [esc(j.contact_name) + " " + esc(j.contact_phone)])}</p></div>
      <form id="apply" class="card"><h2>${gettext("投递")}</h2>
        <label for="a-name">${gettext("姓名")}</label><input id="a-name" name="name">
        <label for="a-phone">${gettext("联系电话")}</label><input id="a-phone" name="phone" inputmode="tel">
        <label for="a-msg">${gettext("自我介绍 (选填)")}</label><textarea id="a-msg" name="message" placeholder="${gettext("工作经验、何时能到岗")}"></textarea>
        <button type="submit" class="primary">${gettext("投递简历")}</button></form>`, true);
    onSubmit($("#apply"), async (f) => {
      await call("POST", `jobs/${id}/apply/`, formBody(f));
      toast(gettext("已投递, 企业会尽快联系你"));
      f.innerHTML = `<p class="tag ok">${gettext("已投递")}</p>`;
    });
  }

  // --- housing ------------------------------------------------------------------------------------------
  async function rentals() {
    const q = new URLSearchParams(location.hash.split("?")[1] || "");
    page(gettext("找住房"), `
      <form id="filter" class="card"><div class="inline">
        <select name="room_kind"><option value="">${gettext("全部房型")}</option><option value="single">${gettext("单人间")}</option><option value="double">${gettext("双人间")}</option><option value="dorm">${gettext("宿舍间")}</option><option value="suite">${gettext("套间")}</option></select>
        <input name="rent_max" inputmode="numeric" placeholder="${gettext("最高租金")}" value="${esc(q.get("rent_max") || "")}"></div>
        <label class="check"><input type="checkbox" name="has_vacancy" ${q.get("has_vacancy") ? "checked" : ""}> ${gettext("只看有空床位")}</label>
        <button class="primary" type="submit">${gettext("筛选")}</button></form><div id="list"><p class="empty">${gettext("加载中…")}</p></div>`, true);
    $("#filter").room_kind.value = q.get("room_kind") || "";
    onSubmit($("#filter"), async (f) => {
      const p = new URLSearchParams();
      ["room_kind", "rent_max"].forEach((k) => f[k].value && p.set(k, f[k].value));
      if (f.has_vacancy.checked) p.set("has_vacancy", "true");
      go("#/rentals?" + p.toString());
    });
    await paged($("#list"), "rentals/?" + q.toString(), (r) => `
      <a class="row card" href="#/rentals/${r.id}"><h3>${esc(r.title)} <span class="wage status">${fmt(gettext("%s元/月"), [r.monthly_rent])}</span></h3>
      <p class="muted">${esc(r.address)} · ${fmt(gettext("押金 %s 元"), [r.deposit])}</p>
      <div class="tags">${r.vacant_beds > 0 ? `<span class="tag ok">${fmt(gettext("空床位 %s"), [r.vacant_beds])}</span>` : `<span class="tag grey">${gettext("暂满")}</span>`}${r.vacant_rooms > 0 ? `<span class="tag ok">${fmt(gettext("整间空 %s"), [r.vacant_rooms])}</span>` : ""}</div></a>`,
      `<p class="empty">${gettext("没有符合条件的房源")}</p>`);
  }
  async function rental(id) {
    const r = await call("GET", `rentals/${id}/`);
    const later = new Date(Date.now() + 86400000);
    later.setMinutes(0);
    const local = new Date(later.getTime() - later.getTimezoneOffset() * 60000).toISOString().slice(0, 16);
    page(r.title, `
      <div class="card"><h2>${esc(r.title)}</h2><p class="wage">${fmt(gettext("%(rent)s 元/月 · 押金 %(deposit)s 元"), { rent: r.monthly_rent, deposit: r.deposit })}</p>
      <p>${esc(r.apartment)} · ${esc(r.room_kind_label)}${r.area_m2 ? " · " + r.area_m2 + "㎡" : ""}</p>
      <p class="muted">${esc(r.address)}</p><p>${fmt(gettext("空床位 <b>%(beds)s</b> / %(total)s · 整间空 <b>%(rooms)s</b>"), { beds: r.vacant_beds, total: r.total_beds, rooms: r.vacant_rooms })}</p>
      <div class="tags">${(r.facility_labels || []).map((f) => `<span class="tag">${esc(f)}</span>`).join("")}</div>
      ${r.photos.map((p) => `<img src="${esc(p.thumbnail)}" alt="${gettext("房源照片")}" style="width:31%;margin-right:2%;border-radius:6px">`).join("")}
      <p>${esc(r.description)}</p><p class="muted">${fmt(gettext("看房电话: %s"), [esc(r.contact_phone)])}</p>
      <button id="save" class="secondary">${gettext("收藏")}</button></div>
      <form id="viewing" class="card"><h2>${gettext("预约看房")}</h2>
        <label for="v-name">${gettext("姓名")}</label><input id="v-name" name="name">
        <label for="v-phone">${gettext("联系电话")}</label><input id="v-phone" name="phone" inputmode="tel">
        <label for="v-time">${gettext("希望看房时间")}</label><input id="v-time" name="preferred_time" type="datetime-local" value="${local}">
        <label for="v-msg">${gettext("留言 (选填)")}</label><input id="v-msg" name="message">
        <button type="submit" class="primary">${gettext("提交预约")}</button></form>`, true);
    $("#save").addEventListener("click", async () => { await call("POST", `rentals/${id}/save/`); toast(gettext("已收藏")); });
    onSubmit($("#viewing"), async (f) => {
      const body = formBody(f);
      body.preferred_time = new Date(body.preferred_time).toISOString();
      await call("POST", `rentals/${id}/viewings/`, body);
      toast(gettext("已预约, 物业会联系你确认时间"));
      f.innerHTML = `<p class="tag ok">${gettext("已提交预约")}</p>`;
    });
  }

  // --- doctors ------------------------------------------------------------------------------------------
  async function clinics() {
    page(gettext("找医生"), `<button id="near" class="secondary">${gettext("找离我最近的")}</button><div id="list" style="margin-top:10px"></div>`, true);
    const show = async (qs) => {
      const rows = await call("GET", "clinics/" + qs);
      $("#list").innerHTML = rows.map((c) => `<a class="row card" href="#/clinics/${c.id}"><h3>${esc(c.name)}${c.distance_m != null ? ` <span class="muted status">${c.distance_m < 1000 ? fmt(gettext("%s 米"), [c.distance_m]) : fmt(gettext("%s 公里"), [(c.distance_m / 1000).toFixed(1)])}</span>` : ""}</h3>
        <p class="muted">${esc(c.kind_label)} · ${esc(c.opening_hours)}<br>${esc(c.address)} · ${esc(c.phone)}</p></a>`).join("") || `<p class="empty">${gettext("暂无")}</p>`;
    };
    $("#near").addEventListener("click", () => navigator.geolocation
      ? navigator.geolocation.getCurrentPosition((p) => show(`?lat=${p.coords.latitude}&lon=${p.coords.longitude}`), () => toast(gettext("无法获取位置")))
      : toast(gettext("无法获取位置")));
    await show("");
  }
  async function clinic(id) {
    const c = await call("GET", `clinics/${id}/`);
    const tomorrow = new Date(Date.now() + 86400000).toISOString().slice(0, 10);
    page(c.name, `<div class="card"><h2>${esc(c.name)}</h2><p class="muted">${esc(c.address)}<br>${fmt(gettext("电话 %s"), [esc(c.phone)])} · ${esc(c.opening_hours)}</p>
      ${c.departments.map((d) => `<p><b>${esc(d.name)}</b> <span class="muted">${esc(d.hours)}</span></p>`).join("")}</div>
      ${c.accepts_appointments ? `<form id="appt" class="card"><h2>${gettext("预约挂号")}</h2>
        <label for="d">${gettext("科室")}</label><select id="d" name="department">${c.departments.map((d) => `<option value="${d.id}">${esc(d.name)}</option>`).join("")}</select>
        <div class="inline"><div><label for="date">${gettext("日期")}</label><input id="date" name="date" type="date" value="${tomorrow}"></div>
        <div><label for="period">${gettext("时段")}</label><select id="period" name="period"><option value="am">${gettext("上午")}</option><option value="pm">${gettext("下午")}</option></select></div></div>
        <label for="p-name">${gettext("姓名")}</label><input id="p-name" name="name"><label for="p-phone">${gettext("联系电话")}</label><input id="p-phone" name="phone" inputmode="tel">
        <label for="sym">${gettext("症状 (选填)")}</label><input id="sym" name="symptoms"><button type="submit" class="primary">${gettext("提交预约")}</button></form>` : ""}`, true);
    if ($("#appt")) onSubmit($("#appt"), async (f) => { await call("POST", `clinics/${id}/appointments/`, formBody(f)); toast(gettext("已提交, 机构确认后会通知你")); f.innerHTML = `<p class="tag ok">${gettext("已提交预约")}</p>`; });
  }

  // --- residence (registration and e-permit, from the residents API) --------------------------------------------
  const STATE = { registered: gettext("已登记"), missing: gettext("未登记"), overdue: gettext("已超期未登记") };
  // The self-service path (residents API /me/journey/): phone → real name → scan the room → property → police.
  function journeyCard(j) {
    return `<div class="card" id="journey"><h2>${gettext("办理进度")}</h2><ol class="steps">${j.steps.map((s) => `<li class="${s.done ? "done" : ""}">${s.done ? "✓" : "○"} ${esc(s.label)}${s.detail ? ` <span class="muted">${esc(s.detail)}</span>` : ""}</li>`).join("")}</ol>
      <p id="next-step"><b>${gettext("下一步:")}</b> ${esc(j.next_step)}</p>${j.deadline ? `<p class="muted" id="deadline">${fmt(ngettext("居住登记期限 %(day)s (还剩 %(n)s 天)", "居住登记期限 %(day)s (还剩 %(n)s 天)", j.deadline_days_left), { day: esc(j.deadline), n: j.deadline_days_left })}</p>` : ""}</div>`;
  }
  async function myNotices() {
    const rows = results(await call("GET", "me/notices/?page_size=5"));
    return rows.length ? `<div class="card" id="my-notices"><h2>${gettext("我的通知")}</h2>${rows.map((n) => `<p><b>${esc(n.title)}</b> <span class="muted">${when(n.created_at)}</span><br>${esc(n.text)}${n.next_step ? `<br><span class="muted">${esc(n.next_step)}</span>` : ""}</p>`).join("")}</div>` : "";
  }
  async function selfService(j) {
    const pending = sessionStorage.getItem("h5.scan") || "";
    let body = "";
    if (j.state === "phone") {
      body = `<form id="bind" class="card"><h2>${gettext("绑定手机号")}</h2><label for="b-phone">${gettext("手机号")}</label>
        <div class="inline"><input id="b-phone" name="phone" inputmode="tel" maxlength="11"><button type="button" id="b-send" class="small secondary">${gettext("获取验证码")}</button></div>
        <label for="b-code">${gettext("验证码")}</label><input id="b-code" name="code" inputmode="numeric" maxlength="6">
        <button type="submit" class="primary">${gettext("绑定")}</button><p class="muted">${gettext("在微信小程序中可一键授权手机号。")}</p></form>`;
    } else if (j.state === "real_name") {
      body = `<form id="realname" class="card"><h2>${gettext("实名信息")}</h2><p class="muted">${gettext("信息加密保存, 只用于居住登记。")}</p>
        <label for="rn-name">${gettext("姓名")}</label><input id="rn-name" name="name" autocomplete="name">
        <label for="rn-id">${gettext("身份证号")}</label><input id="rn-id" name="id_number" maxlength="18" autocomplete="off">
        <label for="rn-home">${gettext("籍贯")}</label><input id="rn-home" name="hometown" placeholder="${gettext("如 安徽省阜阳市临泉县")}">
        <label for="rn-front">${gettext("身份证人像面 (选填)")}</label><input id="rn-front" name="id_card_front" type="file" accept="image/*">
        <label for="rn-back">${gettext("身份证国徽面 (选填)")}</label><input id="rn-back" name="id_card_back" type="file" accept="image/*">
        <button type="submit" class="primary">${gettext("提交实名信息")}</button></form>`;
    } else if (j.state === "scan") {
      body = `<form id="scan" class="card"><h2>${gettext("扫码申请入住")}</h2><p class="muted">${gettext("用手机扫描房间门上的二维码, 会自动打开这里。")}</p>
        <label for="sc-code">${gettext("二维码内容")}</label><input id="sc-code" name="code" value="${esc(pending)}">
        <div id="sc-preview"></div>
        <label for="sc-room">${gettext("房号 (扫公寓大门的码时填写)")}</label><input id="sc-room" name="room_number">
        <button type="submit" class="primary">${gettext("申请入住")}</button></form>`;
    } else if (j.state === "waiting_property" && j.tenancy_request) {
      body = `<div class="card" id="waiting"><h2>${gettext("等待物业确认")}</h2><p>${esc(j.tenancy_request.room.apartment)} ${esc(j.tenancy_request.room.number)} · ${esc(j.tenancy_request.status_label)}</p>
        <button id="withdraw" class="secondary">${gettext("撤回申请")}</button></div>`;
    }
    view.innerHTML = journeyCard(j) + body + (await myNotices());
    const again = async () => residence();
    if ($("#bind")) {
      $("#b-send").addEventListener("click", async () => {
        try { await call("POST", "auth/sms/code/", { phone: $("#b-phone").value.trim() }); toast(gettext("验证码已发送")); } catch (err) { showErrors($("#bind"), err); }
      });
      onSubmit($("#bind"), async (f) => { await call("POST", "me/phone/", formBody(f)); toast(gettext("已绑定")); again(); });
    }
    if ($("#realname")) onSubmit($("#realname"), async (f) => {
      const data = new FormData();
      ["name", "id_number", "hometown"].forEach((k) => data.append(k, f[k].value.trim()));
      ["id_card_front", "id_card_back"].forEach((k) => f[k].files[0] && data.append(k, f[k].files[0]));
      await call("POST", "me/real-name/", data);
      toast(gettext("实名信息已提交"));
      again();
    });
    if ($("#scan")) {
      const preview = async () => {
        const code = $("#sc-code").value.trim();
        if (!code) return;
        try {
          const p = await call("POST", "scan/", { code });
          $("#sc-preview").innerHTML = `<p class="tag ok">${esc(p.apartment)}${p.room ? " · " + fmt(gettext("%s 室"), [esc(p.room)]) : ""}</p>`;
          $("#sc-room").hidden = $("[for=sc-room]").hidden = !!p.room;
        } catch (err) { showErrors($("#scan"), err); }
      };
      $("#sc-code").addEventListener("change", preview);
      preview();
      onSubmit($("#scan"), async (f) => {
        await call("POST", "tenancy-requests/", { code: f.code.value.trim(), room_number: f.room_number.value.trim() });
        sessionStorage.removeItem("h5.scan");
        toast(gettext("已提交, 等待物业确认"));
        again();
      });
    }
    if ($("#withdraw")) $("#withdraw").addEventListener("click", async () => {
      try { await call("POST", `tenancy-requests/${j.tenancy_request.id}/cancel/`); again(); } catch (err) { toast(err.message); }
    });
  }
  function scanLink() {
    // A room's QR code opens /h5/#/scan?code=...: keep the code for the form, then show the path.
    const code = new URLSearchParams(location.hash.split("?")[1] || "").get("code");
    if (code) sessionStorage.setItem("h5.scan", code);
    go("#/residence");
  }
  async function residence() {
    page(gettext("办证 · 居住登记"), `<p class="empty">${gettext("加载中…")}</p>`, true);
    let journey = null;
    try { journey = await call("GET", "me/journey/"); } catch (err) { /* staff account: no path */ }
    if (journey && ["phone", "real_name", "scan", "waiting_property"].includes(journey.state)) return selfService(journey);
    let me;
    try { me = await call("GET", "me/resident/"); }
    catch (err) {
      view.innerHTML = `<div class="card"><h2>${gettext("还没有你的入住记录")}</h2><p class="muted">${esc(err.message)}</p></div>`;
      return;
    }
    const t = me.tenancy;
    view.innerHTML = (journey ? journeyCard(journey) : "") + `<div class="card"><h2>${esc(me.name)}</h2><p class="muted">${fmt(gettext("身份证 %s"), [esc(me.id_number)])}</p>
      ${t ? `<p>${fmt(gettext("%(apartment)s %(room)s 室 · 入住 %(day)s"), { apartment: esc(t.room && t.room.apartment), room: esc(t.room && t.room.number), day: esc(t.check_in) })}</p>
      <p>${fmt(gettext("居住登记: %s"), [`<b id="reg-state">${esc(STATE[t.registration_state] || t.registration_state)}</b>`])}${t.registration_due ? ` <span class="muted">${fmt(gettext("(截止 %s)"), [esc(t.registration_due)])}</span>` : ""}</p>` : `<p>${gettext("当前没有在住记录")}</p>`}</div>
      ${t && t.registration_state !== "registered" ? `<form id="reg" class="card"><h2>${gettext("一键办理居住登记")}</h2><label for="purpose">${gettext("居住事由")}</label>
        <select id="purpose" name="purpose"><option value="work">${gettext("务工")}</option><option value="business">${gettext("经商")}</option><option value="study">${gettext("就学")}</option><option value="family">${gettext("投靠亲友")}</option><option value="other">${gettext("其他")}</option></select>
        <button type="submit" class="primary">${gettext("提交居住登记")}</button></form>` : ""}
      <div class="card" id="permit"><h2>${gettext("电子居住证")}</h2><p class="muted">${gettext("加载中…")}</p></div>`;
    if ($("#reg")) onSubmit($("#reg"), async (f) => { await call("POST", "registrations/", formBody(f)); toast(gettext("已提交, 等待物业/派出所确认")); residence(); });
    try {
      const e = await call("GET", "permits/eligibility/");
      $("#permit").innerHTML = `<h2>${gettext("电子居住证")}</h2>${e.eligible ? `<p>${gettext("你已符合申领条件")}</p><button id="apply-permit" class="primary">${gettext("申领电子居住证")}</button>`
        : `<p class="muted">${esc((e.reasons || []).join("; ") || gettext("暂不符合申领条件"))}</p>`}`;
      if ($("#apply-permit")) $("#apply-permit").addEventListener("click", async () => { try { await call("POST", "permits/", {}); toast(gettext("已提交申领")); } catch (err) { toast(err.message); } });
    } catch (err) { $("#permit").innerHTML = `<h2>${gettext("电子居住证")}</h2><p class="muted">${esc(err.message)}</p>`; }
    view.insertAdjacentHTML("beforeend", await myNotices());
  }

  // --- guides and requests --------------------------------------------------------------------------------------
  const MODULE_NAMES = { social_security: gettext("社保"), schooling: gettext("子女入学"), legal_aid: gettext("法律援助"), convenience: gettext("便民") };
  async function guides(module) {
    page(MODULE_NAMES[module] || gettext("办事指南"), `<div id="list"></div><a class="row card" href="#/my-requests"><p>${gettext("我的办事申请 ›")}</p></a>`, true);
    const rows = await call("GET", `guides/?module=${encodeURIComponent(module)}`);
    $("#list").innerHTML = rows.map((a) => `<a class="row card" href="#/guide/${a.id}"><h3>${esc(a.title)}</h3><p class="muted">${esc(a.summary)}</p>${a.request_kind ? `<span class="tag">${gettext("可在线申请")}</span>` : ""}</a>`).join("") || `<p class="empty">${gettext("暂无指南")}</p>`;
  }
  async function guide(id) {
    const a = await call("GET", `guides/${id}/`);
    page(a.title, `<div class="card"><h2>${esc(a.title)}</h2><p style="white-space:pre-line">${esc(a.body)}</p>
      ${a.documents.length ? `<h3>${gettext("所需材料")}</h3><ul>${a.documents.map((d) => `<li>${esc(d)}</li>`).join("")}</ul>` : ""}</div>
      ${a.request_kind ? `<form id="req" class="card"><h2>${fmt(gettext("在线申请: %s"), [esc(a.request_kind)])}</h2>
        <label for="r-name">${gettext("姓名")}</label><input id="r-name" name="name"><label for="r-phone">${gettext("联系电话")}</label><input id="r-phone" name="phone" inputmode="tel">
        <label for="r-details">${gettext("情况说明")}</label><textarea id="r-details" name="details"></textarea>
        <p>${gettext("我已准备好的材料:")}</p>${a.documents.map((d, i) => `<label class="check"><input type="checkbox" data-doc="${esc(d)}" id="doc${i}"> ${esc(d)}</label>`).join("")}
        <label for="r-photos">${gettext("材料照片 (选填)")}</label><input id="r-photos" name="photos" type="file" accept="image/*" multiple>
        <button type="submit" class="primary">${gettext("提交申请")}</button></form>` : ""}`, true);
    if ($("#req")) onSubmit($("#req"), async (f) => {
      const data = new FormData();
      data.append("article", id);
      ["name", "phone", "details"].forEach((k) => data.append(k, f[k].value));
      f.querySelectorAll("[data-doc]").forEach((c) => c.checked && data.append("provided", c.dataset.doc));
      Array.from(f.photos.files).forEach((file) => data.append("photos", file));
      const made = await call("POST", "my/service-requests/", data);
      toast(fmt(gettext("已提交, 受理编号 %s"), [made.reference]));
      go("#/my-requests");
    });
  }
  async function myRequests() {
    page(gettext("我的办事申请"), '<div id="list"></div>', true);
    await paged($("#list"), "my/service-requests/", (r) => `<div class="card"><h3>${esc(r.kind)} <span class="tag status">${esc(r.status_label)}</span></h3>
      <p class="muted">${esc(r.reference)} · ${when(r.created_at)}</p>${r.staff_note ? `<p>${fmt(gettext("办理意见: %s"), [esc(r.staff_note)])}</p>` : ""}
      <p class="muted">${fmt(gettext("材料: %s"), [r.documents.map((d) => (d.provided ? "✓" : "✗") + esc(d.name)).join(" ")])}</p></div>`, `<p class="empty">${gettext("还没有申请")}</p>`);
  }

  // --- convenience ------------------------------------------------------------------------------------------
  async function convenience() {
    page(gettext("便民服务"), `
      <form id="repair" class="card"><h2>${gettext("报修")}</h2>
        <label for="cat">${gettext("类别")}</label><select id="cat" name="category"><option value="electric">${gettext("电路/插座")}</option><option value="water">${gettext("水管/卫浴")}</option><option value="door">${gettext("门锁/门禁")}</option><option value="appliance">${gettext("空调/热水器")}</option><option value="network">${gettext("网络")}</option><option value="other">${gettext("其他")}</option></select>
        <label for="desc">${gettext("问题描述")}</label><textarea id="desc" name="description"></textarea>
        <label for="rp">${gettext("联系电话")}</label><input id="rp" name="phone" inputmode="tel">
        <label for="rphotos">${gettext("照片 (选填)")}</label><input id="rphotos" name="photos" type="file" accept="image/*" multiple>
        <button type="submit" class="primary">${gettext("提交报修")}</button></form>
      <div class="card"><h2>${gettext("垃圾分类查询")}</h2><div class="inline"><input id="g" placeholder="${gettext("输入物品, 如 电池")}"><button id="gs" class="small primary">${gettext("查询")}</button></div><div id="gr"></div></div>
      <a class="row card" href="#/guides/convenience"><p>${gettext("安全用电、垃圾分类指南 ›")}</p></a><div id="repairs"></div>`, true);
    onSubmit($("#repair"), async (f) => {
      // Built by hand: an empty file input would be sent as an empty "file" the API rightly refuses.
      const data = new FormData();
      ["category", "description", "phone"].forEach((k) => data.append(k, f[k].value));
      Array.from(f.photos.files).forEach((file) => data.append("photos", file));
      const made = await call("POST", "my/repairs/", data);
      toast(fmt(gettext("已报修, 已转给%s物业"), [made.apartment_name]));
      convenience();
    });
    $("#gs").addEventListener("click", async () => {
      const rows = await call("GET", "garbage-items/?search=" + encodeURIComponent($("#g").value.trim()));
      $("#gr").innerHTML = rows.map((g) => `<p>${esc(g.name)} → <b>${esc(g.category_label)}</b></p>`).join("") || `<p class="muted">${gettext("没有找到, 请咨询楼道分类指导员")}</p>`;
    });
    try {
      const rows = results(await call("GET", "my/repairs/"));
      $("#repairs").innerHTML = rows.map((r) => `<div class="card"><h3>${esc(r.category_label)} <span class="tag status">${esc(r.status_label)}</span></h3><p>${esc(r.description)}</p>${r.reply ? `<p class="muted">${fmt(gettext("物业: %s"), [esc(r.reply)])}</p>` : ""}</div>`).join("");
    } catch (e) { /* not a resident account */ }
  }

  // --- consultation and feedback -------------------------------------------------------------------------------
  async function ask() {
    page(gettext("咨询留言"), `<p class="empty">${gettext("加载中…")}</p>`, true);
    const categories = await call("GET", "feedback-categories/");
    view.innerHTML = `<form id="ask" class="card">
      <div class="tabs"><button type="button" data-kind="question" class="on">${gettext("我要咨询")}</button><button type="button" data-kind="report">${gettext("反馈问题")}</button></div>
      <input type="hidden" name="kind" value="question">
      <label for="category">${gettext("类别")}</label><select id="category" name="category">${categories.map((c) => `<option value="${c.id}">${fmt(gettext("%(name)s (%(route)s, %(hours)s 小时内答复)"), { name: esc(c.name), route: esc(c.route_label), hours: c.response_hours })}</option>`).join("")}</select>
      <label for="title">${gettext("标题")}</label><input id="title" name="title" maxlength="64" placeholder="${gettext("一句话说清楚")}">
      <label for="body">${gettext("内容")}</label><textarea id="body" name="body" placeholder="${gettext("详细描述你的问题")}"></textarea>
      <label for="photos">${gettext("照片 (选填, 最多 6 张)")}</label><input id="photos" name="photos" type="file" accept="image/*" multiple>
      <label class="check"><input type="checkbox" name="is_public" checked> ${gettext("公开到留言板 (帮助有同样问题的人)")}</label>
      <label class="check"><input type="checkbox" name="is_anonymous"> ${gettext("对其他居民匿名")}</label>
      <button type="submit" class="primary">${gettext("提交")}</button></form>`;
    view.querySelectorAll("[data-kind]").forEach((b) => b.addEventListener("click", () => {
      view.querySelectorAll("[data-kind]").forEach((x) => x.classList.toggle("on", x === b));
      $("[name=kind]").value = b.dataset.kind;
    }));
    onSubmit($("#ask"), async (f) => {
      const data = new FormData();
      ["kind", "category", "title", "body"].forEach((k) => data.append(k, f[k].value));
      data.append("is_public", f.is_public.checked);
      data.append("is_anonymous", f.is_anonymous.checked);
      Array.from(f.photos.files).forEach((file) => data.append("photos", file));
      const made = await call("POST", "my/feedback/", data);
      toast(fmt(gettext("已提交, 已转%s"), [made.route_label]));
      go("#/question/" + made.id);
    });
  }
  async function myQuestions() {
    page(gettext("我的留言"), '<div id="list"></div>', true);
    await paged($("#list"), "my/feedback/", (f) => `<a class="row card" href="#/question/${f.id}"><h3>${esc(f.title)} <span class="tag status ${f.status === "open" ? "" : "ok"}">${esc(f.status_label)}</span></h3>
      <p class="muted">${esc(f.category)} · ${when(f.created_at)}</p></a>`, `<p class="empty">${gettext("还没有留言")}</p>`);
  }
  function thread(f, mine) {
    return `<div class="card"><h2>${esc(f.title)} <span class="tag status ${f.status === "open" ? "" : "ok"}">${esc(f.status_label)}</span></h2>
      <p class="muted">${esc(f.category)} · ${esc(f.author)} · ${when(f.created_at)}${mine ? " · " + fmt(gettext("转交%(route)s, %(due)s 前答复"), { route: esc(f.route_label), due: when(f.due_at) }) : ""}</p>
      <p style="white-space:pre-line">${esc(f.body)}</p>${f.photos.map((p) => `<img src="${esc(p.thumbnail)}" alt="${gettext("照片")}" style="width:31%;margin-right:2%;border-radius:6px">`).join("")}
      <div id="replies">${f.replies.map((r) => `<div class="reply ${r.from_staff ? "staff" : ""}"><b>${esc(r.author)}</b> <span class="muted">${when(r.created_at)}</span><p style="margin:2px 0;white-space:pre-line">${esc(r.body)}</p></div>`).join("") || `<p class="muted">${gettext("等待答复…")}</p>`}</div></div>`;
  }
  async function question(id) {
    const f = await call("GET", `my/feedback/${id}/`);
    page(gettext("我的留言"), thread(f, true) + (f.status !== "closed" ? `
      <form id="more" class="card"><label for="more-body">${gettext("追问 / 补充")}</label><textarea id="more-body" name="body"></textarea><button type="submit" class="secondary">${gettext("发送")}</button></form>` : "") +
      (f.first_response_at && !f.rating ? `<form id="rate" class="card"><h2>${gettext("评价答复")}</h2><div class="stars">${[1, 2, 3, 4, 5].map((n) => `<button type="button" data-star="${n}">★</button>`).join("")}</div>
        <input type="hidden" name="rating" value="5"><label for="cm">${gettext("评价 (选填)")}</label><input id="cm" name="comment"><button type="submit" class="primary">${gettext("提交评价")}</button></form>` : "") +
      (f.rating ? `<div class="card"><p>${fmt(gettext("你的评价: %s"), ["★".repeat(f.rating) + " " + esc(f.rating_comment)])}</p></div>` : ""), true);
    if ($("#more")) onSubmit($("#more"), async (form) => { await call("POST", `my/feedback/${id}/replies/`, formBody(form)); question(id); });
    if ($("#rate")) {
      const paint = (n) => view.querySelectorAll("[data-star]").forEach((s) => s.classList.toggle("on", +s.dataset.star <= n));
      paint(5);
      view.querySelectorAll("[data-star]").forEach((s) => s.addEventListener("click", () => { $("[name=rating]").value = s.dataset.star; paint(+s.dataset.star); }));
      onSubmit($("#rate"), async (form) => { await call("POST", `my/feedback/${id}/rate/`, { rating: +form.rating.value, comment: form.comment.value }); toast(gettext("感谢你的评价")); question(id); });
    }
  }
  async function board() {
    page(gettext("留言板"), '<div id="list"></div>', true);
    await paged($("#list"), "feedback-board/", (f) => `<a class="row card" href="#/board/${f.id}"><h3>${esc(f.title)}</h3><p class="muted">${esc(f.category)} · ${esc(f.author)} · ${when(f.created_at)}</p></a>`,
      `<p class="empty">${gettext("还没有公开的答复")}</p>`);
  }
  async function boardThread(id) {
    page(gettext("留言板"), thread(await call("GET", `feedback-board/${id}/`), false), true);
  }

  // --- routing --------------------------------------------------------------------------------------------------
  const ROUTES = [
    [/^#\/login$/, login, true], [/^#\/?$/, home], [/^#\/jobs(\?.*)?$/, jobs, true], [/^#\/jobs\/(\d+)$/, job],
    [/^#\/rentals(\?.*)?$/, rentals, true], [/^#\/rentals\/(\d+)$/, rental], [/^#\/clinics$/, clinics, true], [/^#\/clinics\/(\d+)$/, clinic, true],
    [/^#\/(?:residence|registration)(?:\?.*)?$/, residence], [/^#\/scan(\?.*)?$/, scanLink], [/^#\/guides\/(\w+)$/, guides, true], [/^#\/guide\/(\d+)$/, guide], [/^#\/my-requests$/, myRequests],
    [/^#\/convenience$/, convenience], [/^#\/ask$/, ask], [/^#\/my-questions$/, myQuestions], [/^#\/question\/(\d+)$/, question],
    [/^#\/board$/, board, true], [/^#\/board\/(\d+)$/, boardThread, true],
  ];
  async function route() {
    const hash = location.hash || "#/";
    if (hash.startsWith("#/scan?")) { // a scanned room code survives the login in between
      const code = new URLSearchParams(hash.split("?")[1]).get("code");
      if (code) sessionStorage.setItem("h5.scan", code);
    }
    for (const [pattern, handler, isPublic] of ROUTES) {
      const m = hash.match(pattern);
      if (!m) continue;
      if (!isPublic && !tokens()) return go("#/login");
      try { await handler(m[1] && /^\d+$|^\w+$/.test(m[1]) ? m[1] : undefined); }
      catch (err) { if (err instanceof ApiError) { if (err.status !== 401) page(gettext("出错了"), `<div class="card"><p>${esc(err.message)}</p></div>`, true); } else throw err; }
      return;
    }
    go("#/");
  }
  document.getElementById("back").addEventListener("click", () => history.back());
  document.getElementById("logout").addEventListener("click", async () => {
    try { await call("POST", "auth/logout/"); } catch (e) { /* already gone */ }
    saveTokens(null);
    go("#/login");
  });
  // The language switch sends the page's address back; add the client's route (#/...), which the server never sees.
  const switcher = document.querySelector(".language-switch");
  if (switcher) switcher.addEventListener("submit", () => { switcher.querySelector("[name=next]").value = location.pathname + location.hash; });
  window.addEventListener("hashchange", route);
  route();
})();
