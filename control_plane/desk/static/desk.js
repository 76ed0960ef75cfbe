// The agent desk: state buttons over the REST actions, the ringing offer with its screen
// pop and the current call from the live socket's "desk" channel, call controls (answer,
// hold, resume, transfer, hang up) carried out by the call controller, disposition and notes.
"use strict";

(() => {
  const { api, t, el } = Live;
  const $ = (id) => document.getElementById(id);
  const ui = {
    me: null, state: "logged_out", reason: null, sinceMs: null, offer: null, call: null,
    lastCall: null, pops: new Map(), socket: null,
  };

  function fail(err) { Live.showError($("error"), err); }
  function clearError() { $("error").hidden = true; }

  function renderState() {
    const s = ui.state;
    $("state").textContent = t(s);
    $("state").className = "state " + s;
    $("state").dataset.state = s;
    $("state-reason").textContent = ui.reason ? `${t("reason")}: ${ui.reason}` : "";
    $("acd-login").disabled = s !== "logged_out";
    $("acd-logout").disabled = s === "logged_out" || s === "on_call" || s === "offered";
    $("ready").disabled = !(s === "paused" || s === "wrap_up");
    $("pause").disabled = s === "logged_out" || s === "paused";
    $("end-wrap").disabled = s !== "wrap_up";
  }

  function applyStatus(status) {
    if (status.state !== ui.state) ui.sinceMs = Date.now();
    ui.state = status.state;
    ui.reason = status.pause_reason || null;
    renderState();
  }

  async function act(path, body) {
    clearError();
    try { applyStatus(await api("POST", path, body)); } catch (err) { fail(err); }
  }

  function list(title, items, line) {
    const box = el("div", {}, el("b", {}, title));
    if (!items.length) { box.append(" ", el("span", { class: "muted" }, t("none"))); return box; }
    const ul = el("ul", { class: "compact" });
    items.forEach((i) => ul.append(el("li", {}, line(i))));
    box.append(ul);
    return box;
  }

  /** The screen pop: who is calling, flags, last call, what was said, open business. */
  function renderPop(target, pop) {
    target.replaceChildren();
    if (!pop || !pop.known) {
      target.append(el("div", { class: "muted", id: target.id + "-unknown" },
        t("unknownCaller")));
      return;
    }
    if (pop.matches > pop.customers.length) {
      target.append(el("div", { class: "muted" }, `${pop.matches} ${t("matches")}`));
    }
    for (const c of pop.customers) {
      const name = el("h3", { class: "customer-name" }, c.name);
      if (c.vip) name.append(el("span", { class: "badge vip" }, t("vip")));
      if (c.blocked) name.append(el("span", { class: "badge blocked" }, t("blocked")));
      target.append(el("div", { class: "customer", "data-customer": c.id },
        name,
        el("div", { class: "muted" }, [c.email, c.external_ref].filter(Boolean).join(" · ")),
        el("div", {}, `${t("lastCall")}: `, el("b", { class: "last-call" },
          Live.when(c.last_call_at))),
        list(t("lastNotes"), c.last_notes,
          (n) => `${Live.when(n.at)} — ${n.body}`),
        list(t("openTickets"), c.open_tickets, (k) => `#${k.id} ${k.subject} (${k.status})`),
        list(t("openOrders"), c.open_orders,
          (o) => `${o.reference} ${o.amount} ${o.currency} (${o.status})`)));
    }
  }

  /** The call controls follow the call: answer while ringing; hold or resume, transfer and
   * hang up while connected (resume only on hold). */
  function renderControls() {
    const call = ui.call;
    const held = Boolean(call && call.onHold);
    $("offer-answer").disabled = !ui.offer;
    $("call-hold").disabled = !call || held;
    $("call-resume").disabled = !call || !held;
    $("call-hangup").disabled = !call;
    $("call-transfer").disabled = !call;
    $("call-hold-state").hidden = !held;
    $("call-info").dataset.hold = held ? "held" : "talking";
  }

  function setHold(callId, held) {
    if (ui.call && ui.call.event.call_id === callId) ui.call.onHold = held;
    renderControls();
  }

  /** One call control through the API; the reply (or the error with its id) shows at once. */
  async function control(callId, action, body) {
    clearError();
    try {
      const done = await api("POST",
        `/api/v1/agent/calls/${encodeURIComponent(callId)}/${action}`, body);
      return done;
    } catch (err) { fail(err); return null; }
  }

  function showOffer(event, pop) {
    ui.offer = { event, pop, ringStart: Date.now() };
    ui.pops.set(event.call_id, pop);
    $("offer-caller").textContent = event.data.caller || "?";
    $("offer-queue").textContent = event.queue || "";
    renderPop($("pop"), pop);
    $("offer").hidden = false;
    renderControls();
  }

  function hideOffer(callId) {
    if (ui.offer && (!callId || ui.offer.event.call_id === callId)) {
      ui.offer = null;
      $("offer").hidden = true;
    }
    renderControls();
  }

  function showCall(event) {
    ui.call = { event, start: Date.now(), onHold: false };
    ui.lastCall = event;
    $("call-none").hidden = true;
    $("call-info").hidden = false;
    $("call-caller").textContent = event.data.caller || "?";
    $("call-queue").textContent = event.queue || "";
    $("call-id").textContent = event.call_id;
    renderPop($("call-pop"), ui.pops.get(event.call_id));
    prepareDisposition(event.call_id);
    renderControls();
  }

  function endCall(event) {
    if (ui.call && ui.call.event.call_id === event.call_id) ui.call = null;
    $("call-timer").textContent = "";
    if (!ui.call) { $("call-none").hidden = false; $("call-info").hidden = true; }
    renderControls();
  }

  function prepareDisposition(callId) {
    const pop = ui.pops.get(callId);
    const select = $("disposition-customer");
    select.replaceChildren(el("option", { value: "" }, t("noCustomer")));
    (pop && pop.customers || []).forEach((c, i) => {
      const opt = el("option", { value: c.id }, c.name);
      if (i === 0) opt.selected = true;
      select.append(opt);
    });
    $("disposition").dataset.callId = callId;
    $("disposition-done").hidden = true;
    $("disposition").hidden = false;
  }

  function onEvent(msg) {
    const ev = msg.event;
    switch (ev.kind) {
      case "call.offered": showOffer(ev, msg.screen_pop); break;
      case "call.offer_ended": hideOffer(ev.call_id); break;
      case "call.connected": hideOffer(ev.call_id); showCall(ev); break;
      case "call.ended": hideOffer(ev.call_id); endCall(ev); break;
      case "call.held": setHold(ev.call_id, true); break;
      case "call.resumed": setHold(ev.call_id, false); break;
      case "call.transferred": if (ev.data.kind === "blind") endCall(ev); break;
      case "agent.state": applyStatus(ev.data); loadStats(); break;
      default: break;
    }
  }

  function onMessage(msg) {
    if (msg.type === "event") onEvent(msg);
    else if (msg.type === "subscribed") {
      const mine = (msg.snapshot.agents || [])[0];
      if (mine) applyStatus(mine);
    } else if (msg.type === "error") fail({ message: msg.error.message, id: msg.error.id });
  }

  function setLink(status) {
    $("link").hidden = false;
    $("link").className = "status " + status;
    $("link").dataset.status = status;
    $("link").textContent = t(status);
  }

  async function loadStats() {
    if (!ui.me || !ui.me.agent_id) return;
    try {
      const s = await api("GET", `/api/v1/stats/agents/${ui.me.agent_id}`);
      $("stat-handled").textContent = s.calls_handled;
    } catch (err) { /* figures are optional; the state still works */ }
  }

  async function loadReasons() {
    const page = await api("GET", "/api/v1/pause-reasons?active=true&limit=200");
    $("pause-reason").replaceChildren(
      ...page.items.map((r) => el("option", { value: r.code }, `${r.label} (${r.code})`)));
  }

  async function start() {
    clearError();
    const me = await api("GET", "/api/v1/auth/me");
    ui.me = me.user;
    $("who").textContent = `${me.user.username} · ${me.user.tenant || ""}`;
    $("login").hidden = true;
    $("desk").hidden = false;
    $("signout").hidden = false;
    if (!me.user.agent_id) {
      fail({ message: "this user is not linked to an agent", id: "not_an_agent" });
      return;
    }
    try { applyStatus(await api("GET", "/api/v1/agent/status")); } catch (err) { fail(err); }
    await loadReasons().catch(fail);
    loadStats();
    ui.socket = Live.connect({
      subscription: { channel: "desk" }, onMessage, onStatus: setLink,
      onAuthLost: () => { sessionStorage.clear(); location.reload(); },
    });
  }

  function wire() {
    Live.translate();
    $("login").addEventListener("submit", async (e) => {
      e.preventDefault();
      try {
        await Live.login($("login-tenant").value.trim(), $("login-user").value.trim(),
          $("login-password").value);
        await start();
      } catch (err) { fail(err); }
    });
    $("signout").addEventListener("click", async () => {
      if (ui.socket) ui.socket.close();
      await Live.logout();
      location.reload();
    });
    $("acd-login").addEventListener("click", () => act("/api/v1/agent/login", {}));
    $("acd-logout").addEventListener("click", () => act("/api/v1/agent/logout"));
    $("ready").addEventListener("click", () => act("/api/v1/agent/ready"));
    $("end-wrap").addEventListener("click", () => act("/api/v1/agent/wrap-up/end"));
    $("pause").addEventListener("click",
      () => act("/api/v1/agent/pause", { reason: $("pause-reason").value }));
    $("offer-answer").addEventListener("click", async () => {
      if (ui.offer) await control(ui.offer.event.call_id, "answer");
    });
    $("call-hold").addEventListener("click", async () => {
      if (!ui.call) return;
      const done = await control(ui.call.event.call_id, "hold");
      if (done) setHold(done.call_id, done.on_hold);
    });
    $("call-resume").addEventListener("click", async () => {
      if (!ui.call) return;
      const done = await control(ui.call.event.call_id, "resume");
      if (done) setHold(done.call_id, done.on_hold);
    });
    $("call-hangup").addEventListener("click", async () => {
      if (!ui.call) return;
      const event = ui.call.event;
      if (await control(event.call_id, "hangup")) endCall(event);
    });
    $("transfer").addEventListener("submit", async (e) => {
      e.preventDefault();
      if (!ui.call) return;
      const event = ui.call.event;
      const done = await control(event.call_id, "transfer",
        { kind: $("transfer-kind").value, target: $("transfer-target").value.trim() });
      if (done) endCall(event);  // blind: the caller is no longer ours
    });
    $("disposition").addEventListener("submit", async (e) => {
      e.preventDefault();
      clearError();
      const callId = $("disposition").dataset.callId;
      const customer = $("disposition-customer").value;
      const body = { disposition: $("disposition-code").value.trim(),
                     notes: $("disposition-notes").value || null };
      if (customer) body.customer_id = Number(customer);
      try {
        applyStatus(await api("POST",
          `/api/v1/agent/calls/${encodeURIComponent(callId)}/disposition`, body));
        $("disposition-done").hidden = false;
      } catch (err) { fail(err); }
    });
    setInterval(() => {
      if (ui.sinceMs) $("stat-in-state").textContent = Live.duration((Date.now() - ui.sinceMs) / 1000);
      if (ui.offer) {
        $("offer-ring").textContent = Live.duration((Date.now() - ui.offer.ringStart) / 1000);
      }
      if (ui.call) $("call-timer").textContent = Live.duration((Date.now() - ui.call.start) / 1000);
    }, 1000);
    renderState();
    renderControls();
    if (Live.token()) start().catch((err) => { $("login").hidden = false; fail(err); });
    else $("login").hidden = false;
  }

  wire();
})();
