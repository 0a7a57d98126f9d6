/* Live camera player for every page (station, phone, cockpit video wall): HLS through hls.js, HTTP-FLV through
   mpegts.js, native HLS where the browser has it (iOS Safari without Media Source Extensions).

   Include templates/video/_player.html once per page; it loads this file with the vendored libraries' addresses
   (loaded lazily, only when a stream of that kind is first shown). Then:

     const player = ShijiaoVideo.mount(box, {stream_url, protocol, name});   // box: any element, emptied
     player.destroy();                                                        // stops loading, frees the element

   mount() puts a muted, inline, autoplaying <video> and a status line in the box; box.dataset.state follows the
   stream: "loading" → "playing" (frames are arriving) → "stalled" (no new frames; the player retries by itself)
   or "error" / "unsupported" (with a message saying why). Text comes from Django's JavaScript catalog (gettext). */
(function () {
  "use strict";
  const me = document.currentScript;
  const VENDOR = {
    hls: me && me.dataset.hls,
    hlsWorker: me && me.dataset.hlsWorker,
    mpegts: me && me.dataset.mpegts,
  };
  const loading = {};

  function load(name) {
    const global = name === "hls" ? "Hls" : "mpegts";
    if (window[global]) return Promise.resolve(window[global]);
    if (!loading[name]) {
      loading[name] = new Promise((resolve, reject) => {
        const s = document.createElement("script");
        s.src = VENDOR[name];
        s.onload = () => (window[global] ? resolve(window[global]) : reject(new Error(name)));
        s.onerror = () => { delete loading[name]; reject(new Error(name)); };
        document.head.appendChild(s);
      });
    }
    return loading[name];
  }

  const RETRY_MS = 3000;

  function mount(box, camera, options) {
    const opts = options || {};
    box.replaceChildren();
    box.classList.add("video-player");
    const video = document.createElement("video");
    video.muted = true;  // autoplay without a tap is allowed only muted
    video.autoplay = true;
    video.playsInline = true;
    video.setAttribute("playsinline", "");
    video.controls = opts.controls !== false;
    const status = document.createElement("p");
    status.className = "video-status";
    box.append(video, status);

    let engine = null;      // the hls.js or mpegts.js player
    let stopped = false;
    let retryTimer = null;
    let lastTime = -1;
    const setState = (state, message) => {
      box.dataset.state = state;
      status.textContent = message || "";
      status.hidden = !message;
    };

    // "playing" only when frames really arrive: currentTime moves. A live stream that stops moving is "stalled".
    const watch = setInterval(() => {
      if (stopped || box.dataset.state === "error" || box.dataset.state === "unsupported") return;
      if (video.readyState >= 2 && video.currentTime > lastTime && !video.paused) {
        if (box.dataset.state !== "playing") setState("playing", "");
      } else if (box.dataset.state === "playing") {
        setState("stalled", gettext("视频中断, 正在重连…"));
      }
      lastTime = video.currentTime;
    }, 1000);
    video.addEventListener("timeupdate", () => {
      if (!stopped && video.currentTime > 0 && box.dataset.state !== "playing") setState("playing", "");
    });

    const play = () => { const p = video.play(); if (p && p.catch) p.catch(() => {}); };
    const retry = (fn) => { clearTimeout(retryTimer); retryTimer = setTimeout(() => { if (!stopped) fn(); }, RETRY_MS); };

    function startHls(Hls) {
      if (Hls && Hls.isSupported()) {
        engine = new Hls({
          workerPath: VENDOR.hlsWorker || undefined,
          liveSyncDurationCount: 2,
          manifestLoadingMaxRetry: 2,
          levelLoadingMaxRetry: 4,
          fragLoadingMaxRetry: 4,
        });
        engine.on(Hls.Events.MANIFEST_PARSED, play);
        engine.on(Hls.Events.ERROR, (_event, data) => {
          if (!data.fatal) return;
          if (data.type === Hls.ErrorTypes.MEDIA_ERROR) {
            engine.recoverMediaError();
            return;
          }
          setState("error", gettext("无法加载视频流, 正在重试…"));
          retry(() => { engine.loadSource(camera.stream_url); engine.startLoad(); });
        });
        engine.loadSource(camera.stream_url);
        engine.attachMedia(video);
        return;
      }
      if (video.canPlayType("application/vnd.apple.mpegurl")) {  // iOS Safari: HLS is built in
        video.src = camera.stream_url;
        video.addEventListener("error", () => {
          setState("error", gettext("无法加载视频流, 正在重试…"));
          retry(() => { video.src = camera.stream_url; play(); });
        });
        play();
        return;
      }
      setState("unsupported", gettext("此浏览器不能播放 HLS 直播"));
    }

    function startFlv(mpegts) {
      if (!mpegts.isSupported()) {
        setState("unsupported", gettext("此浏览器不能播放 HTTP-FLV 直播 (需要 Media Source Extensions)"));
        return;
      }
      const create = () => {
        engine = mpegts.createPlayer(
          { type: "flv", isLive: true, url: camera.stream_url },
          { enableStashBuffer: false, liveBufferLatencyChasing: true });
        engine.attachMediaElement(video);
        engine.on(mpegts.Events.ERROR, () => {
          setState("error", gettext("无法加载视频流, 正在重试…"));
          engine.destroy();
          engine = null;
          retry(create);
        });
        engine.load();
        play();
      };
      create();
    }

    setState("loading", gettext("正在连接视频…"));
    const protocol = (camera.protocol || "hls").toLowerCase();
    if (protocol === "hls") {
      load("hls").then(startHls, () => startHls(null));
    } else if (protocol === "flv") {
      load("mpegts").then(startFlv, () => setState("error", gettext("播放组件加载失败")));
    } else {
      setState("unsupported", gettext("WebRTC 直播请在视频平台中打开"));
    }

    return {
      video: video,
      destroy() {
        stopped = true;
        clearInterval(watch);
        clearTimeout(retryTimer);
        if (engine) engine.destroy();
        engine = null;
        video.removeAttribute("src");
        video.load();
        box.replaceChildren();
        delete box.dataset.state;
      },
    };
  }

  window.ShijiaoVideo = { mount: mount };
})();
