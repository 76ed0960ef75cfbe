// The BI dashboard page: filters -> the JSON API under ./api -> ECharts and tables.
// Plain script, no build step; ECharts is loaded before it from node_modules.
// window.bi.loads counts completed refreshes (the browser test waits on it).
"use strict";

const bi = { loads: 0, me: null, charts: {}, league: [], sortKey: "answered", sortDesc: true };
window.bi = bi;

const $ = (id) => document.getElementById(id);
const pct = (v) => (v === null || v === undefined ? "–" : `${(v * 100).toFixed(1)} %`);
const secs = (v) => (v === null || v === undefined ? "–" : `${v.toFixed(1)} s`);
const hours = (v) => (v === null || v === undefined ? "–" : `${(v / 3600).toFixed(1)} h`);
// Buckets come as ISO strings with the tenant's offset: show their wall time, not the browser's.
const wall = (iso) => iso.slice(0, 16).replace("T", " ");

// Errors come in the control plane's one shape: {"error": {"id", "message", "details"}}.
class ApiError extends Error {
  constructor(body, status) {
    const error = body && body.error ? body.error : null;
    super(error ? error.message : `HTTP ${status}`);
    this.id = error ? error.id : null;
    this.field = error && error.details ? error.details.field : null;
    this.status = status;
  }
}

// The API's bearer token, kept for this browser tab only (see the login form).
const TOKEN_KEY = "callcenter.bi.token";

function authHeaders() {
  const token = sessionStorage.getItem(TOKEN_KEY);
  return token ? { Authorization: `Bearer ${token}` } : {};
}

async function api(path, params) {
  const query = new URLSearchParams();
  for (const [key, value] of params) {
    if (value !== "" && value !== null && value !== undefined) query.append(key, value);
  }
  const response = await fetch(`api/${path}?${query}`,
    { headers: { Accept: "application/json", ...authHeaders() } });
  const body = await response.json().catch(() => null);
  if (!response.ok) throw new ApiError(body, response.status);
  return body;
}

function showError(err) {
  const box = $("error");
  for (const el of document.querySelectorAll(".invalid")) el.classList.remove("invalid");
  if (!err) {
    box.hidden = true;
    box.textContent = "";
    return;
  }
  box.textContent = err.id ? `${err.message} [${err.id}]` : err.message;
  box.hidden = false;
  if (err.field && $(err.field)) $(err.field).classList.add("invalid");
}

// Log in against the control plane's API (../api/v1/auth/login) and keep the token.
async function login(event) {
  event.preventDefault();
  const form = $("login");
  const payload = { username: $("login-user").value, password: $("login-password").value };
  if ($("login-tenant").value.trim()) payload.tenant = $("login-tenant").value.trim();
  const response = await fetch("../api/v1/auth/login", {
    method: "POST", headers: { "Content-Type": "application/json" },
    body: JSON.stringify(payload),
  });
  const body = await response.json().catch(() => null);
  if (!response.ok) {
    showError(new ApiError(body, response.status));
    return;
  }
  sessionStorage.setItem(TOKEN_KEY, body.token);
  form.hidden = true;
  showError(null);
  await $("login").addEventListener("submit", (e) => { login(e).catch(showError); });
start();
}

function chart(id) {
  if (!bi.charts[id]) bi.charts[id] = echarts.init($(id), null, { renderer: "canvas" });
  return bi.charts[id];
}

function isoDate(d) {
  return d.toISOString().slice(0, 10);
}

function addDays(dateText, days) {
  const d = new Date(`${dateText}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + days);
  return isoDate(d);
}

// Who reads and which tenant they look at (the server enforces it; this only sends it).
function tenantParams() {
  const params = [["tz", $("tz").value.trim()]];
  if (bi.me && bi.me.operator) params.push(["tenant", $("tenant").value]);
  return params;
}

function scopeParams() {
  const params = tenantParams();
  params.push(["start", $("start").value], ["end", addDays($("end").value, 1)]);
  for (const option of $("queue").selectedOptions) params.push(["queue", option.value]);
  return params;
}

function thresholdParams() {
  return [["sl", $("sl").value], ["short_abandon", $("short_abandon").value]];
}

async function loadMeta() {
  const meta = await api("meta", tenantParams());
  const select = $("queue");
  select.replaceChildren(...meta.queues.map((q) => new Option(q, q)));
  if (meta.last_interval) {
    const last = meta.last_interval.slice(0, 10);
    const first = meta.first_interval.slice(0, 10);
    const from = addDays(last, -13);
    $("end").value = last;
    $("start").value = from < first ? first : from;
    $("staff-day").value = addDays(last, 1);
  } else {
    const today = isoDate(new Date());
    $("end").value = today;
    $("start").value = addDays(today, -13);
    $("staff-day").value = addDays(today, 1);
  }
}

function renderTrends(data) {
  const t = data.totals;
  $("tile-offered").textContent = String(t.offered);
  $("tile-sl").textContent = pct(t.service_level);
  $("tile-asa").textContent = secs(t.asa_s);
  $("tile-aht").textContent = secs(t.aht_s);
  $("tile-abandon").textContent = pct(t.abandonment_rate);
  const points = data.series.length ? data.series[0].points : [];
  const x = points.map((p) => wall(p.bucket));
  const grid = { left: 48, right: 16, top: 36, bottom: 28 };
  const legend = { top: 4 };
  chart("chart-volume").setOption({
    title: { text: "Offered", left: "center", textStyle: { fontSize: 12 } }, grid,
    tooltip: { trigger: "axis" }, xAxis: { type: "category", data: x }, yAxis: { type: "value" },
    series: [{ name: "offered", type: "bar", data: points.map((p) => p.offered) }],
  }, true);
  chart("chart-rates").setOption({
    legend, grid, tooltip: { trigger: "axis", valueFormatter: pct },
    xAxis: { type: "category", data: x },
    yAxis: { type: "value", min: 0, max: 1, axisLabel: { formatter: (v) => `${v * 100}%` } },
    series: [
      { name: "service level", type: "line", data: points.map((p) => p.service_level) },
      { name: "abandonment", type: "line", data: points.map((p) => p.abandonment_rate) },
    ],
  }, true);
  chart("chart-times").setOption({
    legend, grid, tooltip: { trigger: "axis", valueFormatter: secs },
    xAxis: { type: "category", data: x }, yAxis: { type: "value", name: "s" },
    series: [
      { name: "ASA", type: "line", data: points.map((p) => p.asa_s) },
      { name: "AHT", type: "line", data: points.map((p) => p.aht_s) },
    ],
  }, true);
}

function renderHeatmap(data) {
  const hoursAxis = Array.from({ length: 24 }, (_, h) => String(h));
  const cells = data.cells.map((c) => [c.hour, c.weekday - 1, c.service_level, c.offered]);
  chart("chart-heatmap").setOption({
    tooltip: {
      formatter: (p) => `${data.weekdays[p.value[1]]} ${p.value[0]}:00<br>` +
        `SL ${pct(p.value[2])} of ${p.value[3]} calls`,
    },
    grid: { left: 48, right: 72, top: 16, bottom: 40 },
    xAxis: { type: "category", data: hoursAxis, name: "hour", nameLocation: "middle",
             nameGap: 24 },
    yAxis: { type: "category", data: data.weekdays },
    // dimension 2: colour by service level, not by the call count carried after it.
    visualMap: { dimension: 2, min: 0, max: 1, calculable: true, orient: "vertical",
                 right: 0, top: "middle", formatter: (v) => `${(v * 100).toFixed(0)}%`,
                 inRange: { color: ["#b3261e", "#f4c542", "#2e9e5b"] } },
    series: [{ type: "heatmap", data: cells, label: { show: false } }],
  }, true);
}

function renderCurve(data) {
  const bins = data.bins.map((b) => [(b.asa_from_s + b.asa_to_s) / 2, b.abandonment_rate]);
  const volume = data.bins.map((b) => [(b.asa_from_s + b.asa_to_s) / 2, b.offered]);
  const patience = data.thresholds.filter((t) => t.wait_s !== null && t.abandoned_within !== null)
    .map((t) => [t.wait_s, t.abandoned_within]);
  chart("chart-curve").setOption({
    legend: { top: 4 }, grid: { left: 48, right: 56, top: 36, bottom: 40 },
    tooltip: { trigger: "axis" },
    xAxis: { type: "value", name: "wait / ASA (s)", nameLocation: "middle", nameGap: 26 },
    yAxis: [
      { type: "value", min: 0, axisLabel: { formatter: (v) => `${(v * 100).toFixed(0)}%` } },
      { type: "value", name: "calls", splitLine: { show: false } },
    ],
    series: [
      { name: "abandonment by interval ASA", type: "line", data: bins },
      { name: "abandoned within wait", type: "line", data: patience, lineStyle: { type: "dashed" } },
      { name: "calls", type: "bar", yAxisIndex: 1, data: volume, itemStyle: { opacity: 0.3 } },
    ],
  }, true);
}

function renderLeague() {
  const key = bi.sortKey;
  const rows = [...bi.league].sort((a, b) => {
    const va = a[key] ?? -Infinity;
    const vb = b[key] ?? -Infinity;
    const order = va < vb ? -1 : va > vb ? 1 : 0;
    return bi.sortDesc ? -order : order;
  });
  $("league").tBodies[0].replaceChildren(...rows.map((r) => {
    const tr = document.createElement("tr");
    for (const text of [r.agent, String(r.answered), secs(r.aht_s), secs(r.asa_s),
      pct(r.transfer_rate), pct(r.occupancy), pct(r.utilization), hours(r.logged_in_s)]) {
      tr.insertCell().textContent = text;
    }
    return tr;
  }));
}

function renderDecisions(data) {
  $("audit-count").textContent = `${data.matched} decisions, newest ${data.decisions.length} shown`;
  $("decisions").tBodies[0].replaceChildren(...data.decisions.map((d) => {
    const tr = document.createElement("tr");
    for (const text of [wall(d.decided_at), d.queue, d.call_id, d.strategy, d.rule || "default",
      d.chosen_agent || "none", String(d.candidates)]) {
      tr.insertCell().textContent = text;
    }
    tr.addEventListener("click", () => {
      for (const other of tr.parentNode.children) other.classList.remove("selected");
      tr.classList.add("selected");
      showDecision(d).catch(showError);
    });
    return tr;
  }));
}

async function showDecision(d) {
  const detail = await api(`decisions/${encodeURIComponent(d.id)}`,
    [...tenantParams(), ["at", String(d.at)]]);
  const box = $("decision-detail");
  const head = document.createElement("p");
  head.textContent = `${wall(detail.decided_at)} · ${detail.queue} · strategy ` +
    `${detail.strategy} · rule ${detail.rule || "default"} · chose ` +
    `${detail.chosen_agent || "nobody"} in ${detail.latency_us} µs`;
  const plot = document.createElement("div");
  plot.className = "chart";
  plot.id = "chart-candidates";
  const segments = document.createElement("table");
  segments.innerHTML = "<thead><tr><th>Segment</th><th>Queue</th><th>Outcome</th><th>Wait</th>" +
    "<th>Talk</th><th>Agent</th><th>Caller</th></tr></thead><tbody></tbody>";
  for (const s of detail.segments) {
    const tr = segments.tBodies[0].insertRow();
    for (const text of [String(s.segment), s.queue, s.outcome, secs(s.wait_s), secs(s.talk_s),
      s.agent || "–", s.caller || "–"]) {
      tr.insertCell().textContent = text;
    }
  }
  if (bi.charts["chart-candidates"]) {
    bi.charts["chart-candidates"].dispose();
    delete bi.charts["chart-candidates"];
  }
  box.replaceChildren(head, plot, segments);
  const ranked = [...detail.ranked].reverse();
  chart("chart-candidates").setOption({
    grid: { left: 56, right: 24, top: 8, bottom: 24 }, tooltip: {},
    xAxis: { type: "value", name: "score" },
    yAxis: { type: "category", data: ranked.map((c) => c.agent) },
    series: [{ type: "bar", data: ranked.map((c) => ({
      value: c.score, itemStyle: { color: c.chosen ? "#2e9e5b" : "#9aa7b5" } })) }],
  });
  box.dataset.decision = detail.id;
}

async function loadDecisions() {
  const params = [...scopeParams(), ["call_id", $("audit-call").value.trim()],
    ["agent", $("audit-agent").value.trim()], ["limit", "25"]];
  renderDecisions(await api("decisions", params));
}

async function loadStaffing() {
  const params = tenantParams();
  for (const option of $("queue").selectedOptions) params.push(["queue", option.value]);
  for (const id of ["staff-day", "staff-days", "staff-sl", "staff-target", "staff-shrink",
    "staff-patience"]) {
    params.push([$(id).name, $(id).value]);
  }
  const data = await api("staffing", params);
  const x = data.intervals.map((i) => wall(i.start));
  chart("chart-staffing").setOption({
    legend: { top: 4 }, grid: { left: 48, right: 48, top: 36, bottom: 28 },
    tooltip: { trigger: "axis" }, xAxis: { type: "category", data: x },
    yAxis: [{ type: "value", name: "agents" }, { type: "value", name: "calls",
      splitLine: { show: false } }],
    series: [
      { name: "forecast calls", type: "bar", yAxisIndex: 1, itemStyle: { opacity: 0.35 },
        data: data.intervals.map((i) => Number(i.calls.toFixed(2))) },
      { name: "scheduled (Erlang C)", type: "line", step: "end",
        data: data.intervals.map((i) => i.erlang_c.scheduled) },
      { name: "scheduled (Erlang A)", type: "line", step: "end",
        data: data.intervals.map((i) => i.erlang_a.scheduled) },
    ],
  }, true);
  const t = data.totals;
  $("staffing-summary").textContent = `${t.calls.toFixed(0)} calls forecast from ` +
    `${data.history_intervals} past intervals; peak ${t.peak_agents_erlang_c} agents (C) / ` +
    `${t.peak_agents_erlang_a} (A) on the phones; ${t.scheduled_hours_erlang_c.toFixed(1)} h ` +
    `(C) / ${t.scheduled_hours_erlang_a.toFixed(1)} h (A) to schedule.`;
}

async function refresh() {
  showError(null);
  try {
    const scope = scopeParams();
    const [trends, heatmap, curve, agents] = await Promise.all([
      api("trends", [...scope, ["grain", $("grain").value], ...thresholdParams()]),
      api("heatmap", [...scope, ...thresholdParams()]),
      api("abandonment", scope),
      api("agents", [...scope, ...thresholdParams()]),
    ]);
    renderTrends(trends);
    renderHeatmap(heatmap);
    renderCurve(curve);
    bi.league = agents.agents;
    renderLeague();
    await Promise.all([loadDecisions(), loadStaffing()]);
    bi.loads += 1;
    document.body.dataset.loads = String(bi.loads);
  } catch (err) {
    showError(err);
  }
}

async function start() {
  // The control plane's API takes bearer tokens: without one, log in first rather than
  // collect a 401.
  if (!sessionStorage.getItem(TOKEN_KEY)) {
    $("login").hidden = false;
    return;
  }
  try {
    bi.me = await api("me", []);
  } catch (err) {
    showError(err);
    if (err.status === 401) {
      sessionStorage.removeItem(TOKEN_KEY);
      $("login").hidden = false;
    }
    return;
  }
  if (bi.started) return;
  bi.started = true;
  $("who").textContent = bi.me.operator ? "operator: every tenant" :
    `tenant ${bi.me.tenant}${bi.me.no_pii ? " (caller identities hidden)" : ""}`;
  if (bi.me.operator) {
    $("tenant").replaceChildren(...bi.me.tenants.map((t) => new Option(t, t)));
    $("tenant-field").hidden = false;
    $("tenant").addEventListener("change", () => loadMeta().then(refresh, showError));
  }
  $("filters").addEventListener("submit", (e) => { e.preventDefault(); refresh(); });
  $("audit-filters").addEventListener("submit", (e) => {
    e.preventDefault();
    loadDecisions().catch(showError);
  });
  $("staffing-filters").addEventListener("submit", (e) => {
    e.preventDefault();
    loadStaffing().catch(showError);
  });
  for (const th of document.querySelectorAll("#league th[data-key]")) {
    th.addEventListener("click", () => {
      bi.sortDesc = bi.sortKey === th.dataset.key ? !bi.sortDesc : true;
      bi.sortKey = th.dataset.key;
      renderLeague();
    });
  }
  window.addEventListener("resize", () => Object.values(bi.charts).forEach((c) => c.resize()));
  try {
    await loadMeta();
  } catch (err) {
    showError(err);
    return;
  }
  await refresh();
}

$("login").addEventListener("submit", (e) => { login(e).catch(showError); });
start();
