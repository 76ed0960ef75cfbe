// The supervisor wallboard: queue figures and agents by state, live from the socket's
// "wallboard" channel (a snapshot on subscribe, then queue.stats and agent.state events).
"use strict";

(() => {
  const { api, t, el } = Live;
  const $ = (id) => document.getElementById(id);
  const board = { queues: new Map(), agents: new Map(), tenant: null, socket: null };

  function fail(err) { Live.showError($("error"), err); }

  // Seconds in state tick locally between events: remember when each was last reported.
  function agentIn(a) {
    return { ...a, seenAt: Date.now() };
  }

  function serviceLevel(qs) {
    let inTarget = 0; let counted = 0;
    for (const q of qs) {
      inTarget += q.answered_in_target;
      counted += q.answered + q.abandoned - q.short_abandoned;
    }
    return counted > 0 ? inTarget / counted : null;
  }

  function pct(v) { return v === null || v === undefined ? "–" : `${Math.round(v * 100)}%`; }

  function render() {
    const agents = [...board.agents.values()];
    const count = (...states) => agents.filter((a) => states.includes(a.state)).length;
    const queues = [...board.queues.values()].sort((a, b) => a.queue.localeCompare(b.queue));
    $("t-online").textContent = agents.filter((a) => a.state !== "logged_out").length;
    $("t-ready").textContent = count("ready");
    $("t-oncall").textContent = count("on_call", "offered");
    $("t-wrap").textContent = count("wrap_up");
    $("t-paused").textContent = count("paused");
    $("t-waiting").textContent = queues.reduce((n, q) => n + q.waiting, 0);
    const oldest = Math.max(0, ...queues.map((q) => q.oldest_wait_seconds));
    $("t-oldest").textContent = Live.duration(oldest);
    const sl = serviceLevel(queues);
    $("t-sl").textContent = pct(sl);
    $("t-sl").className = sl === null ? "" : (sl >= 0.8 ? "sl-ok" : "sl-bad");

    $("queues").tBodies[0].replaceChildren(...queues.map((q) => {
      const by = q.agents || {};
      return el("tr", { "data-queue": q.queue },
        el("td", {}, q.queue), el("td", { class: "waiting" }, q.waiting),
        el("td", {}, Live.duration(q.oldest_wait_seconds)),
        el("td", { class: "sl" }, pct(q.service_level)), el("td", {}, q.answered),
        el("td", {}, q.abandoned), el("td", {}, by.ready || 0),
        el("td", {}, (by.on_call || 0) + (by.offered || 0)), el("td", {}, by.wrap_up || 0),
        el("td", {}, by.paused || 0));
    }));
    const order = ["on_call", "offered", "ready", "wrap_up", "paused", "logged_out"];
    agents.sort((a, b) => order.indexOf(a.state) - order.indexOf(b.state)
      || a.name.localeCompare(b.name));
    $("agents").tBodies[0].replaceChildren(...agents.map((a) => {
      const since = a.seconds_in_state === null ? null
        : a.seconds_in_state + (Date.now() - a.seenAt) / 1000;
      return el("tr", { "data-agent": a.agent_id, "data-state": a.state },
        el("td", {}, a.name), el("td", {}, a.team_id ?? ""),
        el("td", { class: "state " + a.state }, t(a.state)), el("td", {}, a.pause_reason || ""),
        el("td", {}, Live.duration(since)), el("td", {}, a.calls_handled));
    }));
  }

  function onMessage(msg) {
    if (msg.type === "subscribed") {
      board.queues.clear(); board.agents.clear();
      $("acd-unavailable").hidden = msg.snapshot.acd !== "unavailable";
      for (const q of msg.snapshot.queues) board.queues.set(q.queue, q);
      for (const a of msg.snapshot.agents) board.agents.set(a.agent_id, agentIn(a));
      render();
    } else if (msg.type === "event") {
      const ev = msg.event;
      if (ev.kind === "queue.stats") board.queues.set(ev.queue, ev.data);
      else if (ev.kind === "agent.state") board.agents.set(ev.data.agent_id, agentIn(ev.data));
      render();
    } else if (msg.type === "error") {
      fail({ message: msg.error.message, id: msg.error.id });
    }
  }

  function setLink(status) {
    $("link").hidden = false;
    $("link").className = "status " + status;
    $("link").dataset.status = status;
    $("link").textContent = t(status);
  }

  function watch(tenant) {
    board.tenant = tenant;
    $("board").hidden = false;
    const subscription = { channel: "wallboard" };
    if (tenant) subscription.tenant = tenant;
    board.socket = Live.connect({
      subscription, onMessage, onStatus: setLink,
      onAuthLost: () => { sessionStorage.clear(); location.reload(); },
    });
  }

  async function start() {
    const me = await api("GET", "/api/v1/auth/me");
    $("who").textContent = `${me.user.username} · ${me.user.tenant || "operator"}`;
    $("login").hidden = true;
    $("signout").hidden = false;
    if (me.user.tenant) watch(null);
    else $("watch").hidden = false;  // the operator names the tenant to watch
  }

  function wire() {
    Live.translate();
    $("login").addEventListener("submit", async (e) => {
      e.preventDefault();
      $("error").hidden = true;
      try {
        await Live.login($("login-tenant").value.trim(), $("login-user").value.trim(),
          $("login-password").value);
        await start();
      } catch (err) { fail(err); }
    });
    $("watch").addEventListener("submit", (e) => {
      e.preventDefault();
      $("watch").hidden = true;
      watch($("watch-tenant").value.trim());
    });
    $("signout").addEventListener("click", async () => {
      if (board.socket) board.socket.close();
      await Live.logout();
      location.reload();
    });
    setInterval(render, 1000);
    if (Live.token()) start().catch((err) => { $("login").hidden = false; fail(err); });
    else $("login").hidden = false;
  }

  wire();
})();
