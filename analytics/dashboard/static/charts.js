// Drawing: ECharts charts and tables from the API's answers (see api.js for the state).
"use strict";

function chart(id) {
  if (!bi.charts[id]) bi.charts[id] = echarts.init($(id), null, { renderer: "canvas" });
  return bi.charts[id];
}

// Replace a chart's option whole. No animation: figures show at once, and what a reader
// (or a screenshot) sees right after a load is the data, not bars still growing.
function draw(id, option) {
  chart(id).setOption({ animation: false, ...option }, true);
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
  draw("chart-volume", {
    title: { text: "Offered", left: "center", textStyle: { fontSize: 12 } }, grid,
    tooltip: { trigger: "axis" }, xAxis: { type: "category", data: x }, yAxis: { type: "value" },
    series: [{ name: "offered", type: "bar", data: points.map((p) => p.offered) }],
  });
  draw("chart-rates", {
    legend, grid, tooltip: { trigger: "axis", valueFormatter: pct },
    xAxis: { type: "category", data: x },
    yAxis: { type: "value", min: 0, max: 1, axisLabel: { formatter: (v) => `${v * 100}%` } },
    series: [
      { name: "service level", type: "line", data: points.map((p) => p.service_level) },
      { name: "abandonment", type: "line", data: points.map((p) => p.abandonment_rate) },
    ],
  });
  draw("chart-times", {
    legend, grid, tooltip: { trigger: "axis", valueFormatter: secs },
    xAxis: { type: "category", data: x }, yAxis: { type: "value", name: "s" },
    series: [
      { name: "ASA", type: "line", data: points.map((p) => p.asa_s) },
      { name: "AHT", type: "line", data: points.map((p) => p.aht_s) },
    ],
  });
}

function renderHeatmap(data) {
  const hoursAxis = Array.from({ length: 24 }, (_, h) => String(h));
  const cells = data.cells.map((c) => [c.hour, c.weekday - 1, c.service_level, c.offered]);
  draw("chart-heatmap", {
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
  });
}

function renderCurve(data) {
  const bins = data.bins.map((b) => [(b.asa_from_s + b.asa_to_s) / 2, b.abandonment_rate]);
  const volume = data.bins.map((b) => [(b.asa_from_s + b.asa_to_s) / 2, b.offered]);
  const patience = data.thresholds.filter((t) => t.wait_s !== null && t.abandoned_within !== null)
    .map((t) => [t.wait_s, t.abandoned_within]);
  draw("chart-curve", {
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
  });
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
  draw("chart-candidates", {
    grid: { left: 56, right: 24, top: 8, bottom: 24 }, tooltip: {},
    xAxis: { type: "value", name: "score" },
    yAxis: { type: "category", data: ranked.map((c) => c.agent) },
    series: [{ type: "bar", data: ranked.map((c) => ({
      value: c.score, itemStyle: { color: c.chosen ? "#2e9e5b" : "#9aa7b5" } })) }],
  });
  box.dataset.decision = detail.id;
}

function renderStaffing(data) {
  const x = data.intervals.map((i) => wall(i.start));
  draw("chart-staffing", {
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
  });
  const t = data.totals;
  $("staffing-summary").textContent = `${t.calls.toFixed(0)} calls forecast from ` +
    `${data.history_intervals} past intervals; peak ${t.peak_agents_erlang_c} agents (C) / ` +
    `${t.peak_agents_erlang_a} (A) on the phones; ${t.scheduled_hours_erlang_c.toFixed(1)} h ` +
    `(C) / ${t.scheduled_hours_erlang_a.toFixed(1)} h (A) to schedule.`;
}
