/* The alarm sound of the three ends (station PC, phone, cockpit): a siren that repeats while any critical or major
   alarm in view is unacknowledged, and stops when the last one is acknowledged.

   Browsers let a page make sound only after a tap on it (or on the page that led to it: the sign-in). The first tap
   anywhere arms the sound and is remembered (localStorage) so that later pages arm themselves; when the browser
   still refuses, a bar asks for one tap (or, on a page with a [data-sound-button], that button does). Text comes from Django's JavaScript catalog.

     ShijiaoSound.update(alarms)   // any iterable of alarm payloads ({severity, status}); call after each change
     ShijiaoSound.state()          // {remembered, armed, ringing, beeps}: what really happens (tests read it) */
(function () {
  "use strict";
  const KEY = "ezb.alarm-sound";
  const LOUD = new Set(["critical", "major"]);
  const PERIOD_MS = 2000;
  let ctx = null;
  let ringing = false;
  let timer = null;
  let beeps = 0;  // siren bursts scheduled on a running audio context
  let bar = null;

  const remembered = () => { try { return localStorage.getItem(KEY) === "on"; } catch (e) { return false; } };
  const remember = () => { try { localStorage.setItem(KEY, "on"); } catch (e) { /* private mode */ } };
  const armed = () => !!ctx && ctx.state === "running";

  function context() {
    if (!ctx) {
      const Ctx = window.AudioContext || window.webkitAudioContext;
      if (!Ctx) return null;
      ctx = new Ctx();
      ctx.onstatechange = show;
    }
    return ctx;
  }

  function arm() {
    const c = context();
    if (!c) return;
    remember();
    const p = c.resume();
    if (p && p.then) p.then(show, show);
    show();
    if (ringing) burst();
  }

  function show() {
    const state = armed() ? (ringing ? "ringing" : "armed") : "needs-tap";
    document.body.dataset.sound = state;
    document.body.dataset.soundRinging = String(ringing);
    // A page with a sound button of its own in a fixed layout (the cockpit's wall screen, which never scrolls)
    // marks it data-sound-button: the button becomes the prompt (its page styles body[data-sound]) and no bar
    // covers the panels.
    if (document.querySelector("[data-sound-button]")) return;
    if (!bar) {
      bar = document.createElement("button");
      bar.type = "button";
      bar.id = "sound-bar";
      bar.className = "sound-bar";
      // Styled here so that every end gets the same bar without a stylesheet of its own.
      Object.assign(bar.style, {
        position: "fixed", left: "0", right: "0", bottom: "0", zIndex: "1000", padding: "14px 16px",
        border: "0", font: "inherit", fontSize: "18px", fontWeight: "600", color: "#fff", cursor: "pointer",
      });
      bar.addEventListener("click", arm);
      document.body.appendChild(bar);
    }
    bar.hidden = state !== "needs-tap";
    bar.classList.toggle("urgent", ringing);
    bar.style.background = ringing ? "#c53030" : "#2b4c7e";
    document.body.style.paddingBottom = bar.hidden ? "" : "64px";  // the bar never hides the last card
    bar.textContent = ringing ?
      gettext("有未确认的告警: 点一下开启报警声音") : gettext("点一下开启报警声音 (本机记住)");
  }

  function burst() {
    if (!armed()) return;
    const t = ctx.currentTime;
    for (let i = 0; i < 3; i++) {
      const o = ctx.createOscillator(), g = ctx.createGain();
      o.type = "square";
      o.frequency.value = i % 2 ? 660 : 880;
      g.gain.setValueAtTime(0.15, t + i * 0.35);
      g.gain.setValueAtTime(0, t + i * 0.35 + 0.25);
      o.connect(g).connect(ctx.destination);
      o.start(t + i * 0.35);
      o.stop(t + i * 0.35 + 0.3);
    }
    beeps += 1;
  }

  function update(alarms) {
    let loud = false;
    for (const a of alarms) {
      const open = a.status ? a.status === "raised" : !a.acknowledged_at;  // raised = not yet acknowledged
      if (LOUD.has(a.severity) && open && !a.closed_at) { loud = true; break; }
    }
    if (loud === ringing) return;
    ringing = loud;
    clearInterval(timer);
    if (ringing) {
      burst();
      timer = setInterval(burst, PERIOD_MS);
      if (navigator.vibrate) navigator.vibrate([300, 100, 300]);
    }
    show();
  }

  // Any tap or key on the page arms the sound (the browser counts it as the permission to play).
  for (const type of ["pointerdown", "keydown"]) {
    document.addEventListener(type, () => { if (!armed()) arm(); }, { capture: true, passive: true });
  }

  // The tap that signed in usually carries over to this page (same site): then the context runs at once.
  function start() {
    const c = context();
    if (c && c.state === "running") remember();
    else if (c && remembered()) c.resume().catch(() => {});
    show();
  }
  if (document.body) start(); else document.addEventListener("DOMContentLoaded", start);

  window.ShijiaoSound = {
    update: update,
    state: () => ({ remembered: remembered(), armed: armed(), ringing: ringing, beeps: beeps }),
  };
})();
