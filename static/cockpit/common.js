/* Helpers shared by the big screen and the block drill-down (no framework, no CDN).
   Text comes from Django's JavaScript catalog (gettext, ngettext, interpolate: /jsi18n/, loaded first). */
(function () {
  "use strict";
  const LANG = document.documentElement.lang || "zh-hans";
  const fill = (format, values) => interpolate(format, values, true);
  const esc = (s) => String(s == null ? "" : s).replace(/[&<>"']/g, (c) => ({
    "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;",
  })[c]);
  const num = (v) => (v == null ? null : Number(v).toLocaleString(LANG));
  const pad = (n) => String(n).padStart(2, "0");
  function hhmm(iso) {
    const d = iso ? new Date(iso) : new Date();
    return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
  }
  function duration(seconds) {
    if (seconds == null) return null;
    const m = Math.floor(seconds / 60), s = Math.round(seconds % 60);
    return m ? fill(gettext("%(m)s分%(s)s秒"), { m: m, s: pad(s) }) : fill(gettext("%(s)s秒"), { s: s });
  }
  function cookie(name) {
    const m = document.cookie.match(new RegExp("(?:^|; )" + name + "=([^;]*)"));
    return m ? decodeURIComponent(m[1]) : "";
  }
  function wsUrl(path) {
    return (location.protocol === "https:" ? "wss://" : "ws://") + location.host + path;
  }
  /** A WebSocket that reconnects with backoff; onMessage gets parsed JSON. */
  function liveSocket(path, onMessage, onState) {
    let delay = 1000, sock = null;
    function open() {
      sock = new WebSocket(wsUrl(typeof path === "function" ? path() : path));
      sock.onopen = () => { delay = 1000; onState && onState(true); };
      sock.onmessage = (e) => { try { onMessage(JSON.parse(e.data)); } catch (err) { console.error(err); } };
      sock.onclose = () => { onState && onState(false); setTimeout(open, delay); delay = Math.min(delay * 2, 30000); };
    }
    open();
    return { send: (obj) => sock && sock.readyState === 1 && sock.send(JSON.stringify(obj)) };
  }
  window.cockpitCommon = { esc, num, hhmm, duration, cookie, liveSocket, pad, fill, LANG };
})();
