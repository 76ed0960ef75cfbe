// Shared by the desk and the wallboard: the session token, REST calls, the live socket,
// and the page's language (Simplified Chinese or English, per user).
"use strict";

const Live = (() => {
  const TOKEN_KEY = "cc.desk.token";
  const LANG_KEY = "cc.desk.lang";

  const TEXT = {
    en: {
      login: "Log in", logout: "Sign out", tenant: "Tenant", user: "User", password: "Password",
      operatorTenant: "(empty for the operator)", connected: "live", connecting: "connecting…",
      disconnected: "offline — reconnecting", lagged: "resynchronising…",
      ready: "Ready", paused: "Paused", on_call: "On call", offered: "Ringing",
      wrap_up: "After-call work", logged_out: "Logged out",
      acdLogin: "Log in to queues", acdLogout: "Log out of queues", goReady: "Ready",
      pause: "Pause", endWrap: "End wrap-up", reason: "Reason", state: "State",
      incoming: "Incoming call", unknownCaller: "Unknown caller: no customer with this number",
      vip: "VIP", blocked: "Blocked", lastCall: "Last call", never: "never",
      lastNotes: "What was said", openTickets: "Open tickets", openOrders: "Open orders",
      none: "none", currentCall: "Current call", noCall: "No call", queue: "Queue",
      caller: "Caller", waited: "waited", disposition: "Disposition", notes: "Notes",
      customer: "File notes on", noCustomer: "(no customer)", save: "Save",
      saved: "Saved", myStats: "My figures", handled: "Calls handled", inState: "In state",
      agentsOnline: "Agents online", available: "Available", onContact: "On call",
      acw: "In wrap-up", pausedAgents: "Paused", inQueue: "Calls in queue",
      oldestWait: "Oldest wait", serviceLevel: "Service level today", queues: "Queues",
      agents: "Agents", waiting: "Waiting", answered: "Answered", abandoned: "Abandoned",
      name: "Name", team: "Team", since: "Time in state", calls: "Calls",
      acdUnavailable: "No ACD attached to this control plane: figures unavailable",
      matches: "customers share this number",
      answer: "Answer", hold: "Hold", resume: "Resume", hangup: "Hang up",
      transfer: "Transfer", transferTo: "Transfer to", toQueue: "Queue", toSeat: "Seat",
      toNumber: "Number", onHold: "On hold: the caller hears music",
    },
    zh: {
      login: "登录", logout: "退出", tenant: "租户", user: "用户名", password: "密码",
      operatorTenant: "（运营方留空）", connected: "实时", connecting: "连接中…",
      disconnected: "离线，正在重连", lagged: "正在重新同步…",
      ready: "就绪", paused: "小休", on_call: "通话中", offered: "振铃中",
      wrap_up: "话后处理", logged_out: "未签入",
      acdLogin: "签入队列", acdLogout: "签出队列", goReady: "就绪",
      pause: "小休", endWrap: "结束话后处理", reason: "原因", state: "状态",
      incoming: "来电", unknownCaller: "陌生来电：没有此号码的客户",
      vip: "VIP", blocked: "黑名单", lastCall: "上次通话", never: "无",
      lastNotes: "上次沟通内容", openTickets: "未结工单", openOrders: "进行中订单",
      none: "无", currentCall: "当前通话", noCall: "无通话", queue: "队列",
      caller: "主叫", waited: "等待", disposition: "处理结果", notes: "备注",
      customer: "备注归档到", noCustomer: "（无客户）", save: "保存",
      saved: "已保存", myStats: "我的数据", handled: "已接电话", inState: "当前状态时长",
      agentsOnline: "在线坐席", available: "空闲", onContact: "通话中",
      acw: "话后处理", pausedAgents: "小休", inQueue: "排队来电",
      oldestWait: "最长等待", serviceLevel: "今日服务水平", queues: "队列",
      agents: "坐席", waiting: "排队", answered: "已接", abandoned: "放弃",
      name: "姓名", team: "班组", since: "状态时长", calls: "通话",
      acdUnavailable: "此控制面未接入 ACD：无实时数据",
      matches: "位客户共用此号码",
      answer: "接听", hold: "保持", resume: "恢复通话", hangup: "挂断",
      transfer: "转接", transferTo: "转接到", toQueue: "队列", toSeat: "坐席",
      toNumber: "号码", onHold: "保持中：来电方正在听音乐",
    },
  };

  function lang() {
    const chosen = new URLSearchParams(location.search).get("lang")
      || localStorage.getItem(LANG_KEY) || (navigator.language || "en");
    return chosen.toLowerCase().startsWith("zh") ? "zh" : "en";
  }

  function t(key) {
    return (TEXT[lang()] || TEXT.en)[key] || TEXT.en[key] || key;
  }

  /** Fill every [data-t] element with its text in the page's language. */
  function translate(root = document) {
    document.documentElement.lang = lang() === "zh" ? "zh-CN" : "en";
    root.querySelectorAll("[data-t]").forEach((el) => { el.textContent = t(el.dataset.t); });
  }

  const token = () => sessionStorage.getItem(TOKEN_KEY);

  class ApiError extends Error {
    constructor(status, body) {
      const err = (body && body.error) || {};
      super(err.message || `HTTP ${status}`);
      this.status = status;
      this.id = err.id || "http." + status;
      this.details = err.details || {};
    }
  }

  async function api(method, path, body) {
    const headers = { Accept: "application/json" };
    if (token()) headers.Authorization = "Bearer " + token();
    if (body !== undefined) headers["Content-Type"] = "application/json";
    const resp = await fetch(path, {
      method, headers, body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await resp.text();
    const data = text ? JSON.parse(text) : null;
    if (!resp.ok) {
      if (resp.status === 401) sessionStorage.removeItem(TOKEN_KEY);
      throw new ApiError(resp.status, data);
    }
    return data;
  }

  async function login(tenant, username, password) {
    const data = await api("POST", "/api/v1/auth/login",
      { tenant: tenant || null, username, password });
    sessionStorage.setItem(TOKEN_KEY, data.token);
    return data;
  }

  async function logout() {
    try { await api("POST", "/api/v1/auth/logout"); } catch (e) { /* already gone */ }
    sessionStorage.removeItem(TOKEN_KEY);
  }

  /**
   * The live socket: (re)connects with backoff, subscribes `subscription` after each
   * connect, and hands every message to `onMessage`; `onStatus` hears
   * "connecting" / "connected" / "disconnected" / "lagged".
   */
  function connect({ subscription, onMessage, onStatus, onAuthLost }) {
    let ws = null;
    let delay = 500;
    let stopped = false;
    const open = () => {
      if (stopped || !token()) return;
      onStatus("connecting");
      const url = (location.protocol === "https:" ? "wss://" : "ws://") + location.host
        + "/api/v1/ws";
      // Browsers cannot set headers on a WebSocket: the token rides as a subprotocol.
      ws = new WebSocket(url, ["callcenter.v1", "bearer." + token()]);
      ws.onopen = () => { delay = 500; };
      ws.onmessage = (ev) => {
        const msg = JSON.parse(ev.data);
        if (msg.type === "hello") {
          ws.send(JSON.stringify({ type: "subscribe", id: "main", ...subscription }));
        } else if (msg.type === "subscribed") {
          onStatus("connected");
        } else if (msg.type === "lagged") {
          // Missed events: subscribe again for a fresh snapshot.
          onStatus("lagged");
          ws.send(JSON.stringify({ type: "unsubscribe", id: "main" }));
          ws.send(JSON.stringify({ type: "subscribe", id: "main", ...subscription }));
        }
        onMessage(msg);
      };
      ws.onclose = (ev) => {
        ws = null;
        if (stopped) return;
        onStatus("disconnected");
        if (ev.code === 4401) { onAuthLost(ev.reason); return; }
        setTimeout(open, delay);
        delay = Math.min(delay * 2, 10000);
      };
    };
    open();
    return { close() { stopped = true; if (ws) ws.close(1000); } };
  }

  function el(tag, attrs = {}, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs)) {
      if (k === "class") node.className = v; else node.setAttribute(k, v);
    }
    for (const c of children) node.append(c instanceof Node ? c : String(c ?? ""));
    return node;
  }

  function duration(seconds) {
    if (seconds === null || seconds === undefined) return "–";
    const s = Math.max(0, Math.round(seconds));
    const m = Math.floor(s / 60);
    return m >= 60 ? `${Math.floor(m / 60)}h${String(m % 60).padStart(2, "0")}m`
      : `${m}:${String(s % 60).padStart(2, "0")}`;
  }

  function when(iso) {
    return iso ? new Date(iso).toLocaleString(lang() === "zh" ? "zh-CN" : "en-GB") : t("never");
  }

  function showError(target, err) {
    target.hidden = false;
    target.textContent = `${err.message} (${err.id || "error"})`;
  }

  return { api, login, logout, token, connect, t, translate, lang, el, duration, when,
           showError, ApiError };
})();
