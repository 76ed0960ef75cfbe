// The BI dashboard page: filters -> the JSON API under ./api -> charts.js.
// window.bi.loads counts completed refreshes (the browser test waits on it).
"use strict";

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
  renderStaffing(data);
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
