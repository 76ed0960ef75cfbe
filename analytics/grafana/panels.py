"""The panels of the SRE dashboard, as data: (title, kind, unit, expressions) per section.

Each expression reads only metrics the platform exports (the control plane's module, the
analytics sink, Kamailio's xhttp_prom statistics, RTPengine's /metrics) or a name the
shipped rules record; ``tests/unit/analytics/test_grafana_dashboard.py`` and the tiers'
integration test hold them to that.
"""

from __future__ import annotations

from dataclasses import dataclass

KAM = 'job="callcenter-kamailio", node=~"$node"'
CORES = 'job="callcenter-kamailio", role="province"'
QUEUE = 'tenant=~"$tenant", queue=~"$queue"'
RATE = "$__rate_interval"


@dataclass(frozen=True, slots=True)
class Panel:
    """One panel: ``targets`` are (PromQL, legend) pairs."""

    title: str
    kind: str  # "timeseries" or "stat"
    unit: str
    targets: tuple[tuple[str, str], ...]
    description: str = ""


@dataclass(frozen=True, slots=True)
class Section:
    """A row of the dashboard."""

    title: str
    panels: tuple[Panel, ...]


SECTIONS: tuple[Section, ...] = (
    Section("Tiers: SIP load, registrations, dispatcher, bans", (
        Panel("Kamailio nodes up", "stat", "none",
              ((f"up{{{KAM}}}", "{{node}}"),),
              "1 while Prometheus can scrape the node's xhttp_prom endpoint."),
        Panel("SIP requests/s by node", "timeseries", "reqps",
              ((f"sum by (node, role) (rate(kamailio_core_rcv_requests{{{KAM}}}[{RATE}]))",
                "{{role}} {{node}}"),)),
        Panel("INVITEs/s and REGISTERs/s", "timeseries", "reqps", (
            (f"sum by (node) (rate(kamailio_core_rcv_requests_invite{{{KAM}}}[{RATE}]))",
             "INVITE {{node}}"),
            (f"sum by (node) (rate(kamailio_core_rcv_requests_register{{{KAM}}}[{RATE}]))",
             "REGISTER {{node}}"),
        )),
        Panel("Failed transactions/s (5xx, 6xx)", "timeseries", "reqps", (
            (f"sum by (node) (rate(kamailio_tmx_5xx_transactions{{{KAM}}}[{RATE}]))",
             "5xx {{node}}"),
            (f"sum by (node) (rate(kamailio_tmx_6xx_transactions{{{KAM}}}[{RATE}]))",
             "6xx {{node}}"),
        )),
        Panel("Active dialogs", "timeseries", "short",
              ((f"kamailio_dialog_active_dialogs{{{CORES}}}", "{{node}}"),)),
        Panel("Registered seat contacts", "timeseries", "short", (
            (f"kamailio_usrloc_location_contacts{{{CORES}}}", "registrar {{node}}"),
            ("sum(cc_seats_registered)", "control plane seat list"),
        ), "The registrar's contacts and the control plane's seat list should be equal."),
        Panel("Dispatcher destinations down", "timeseries", "short",
              ((f"kamailio_script_cc_parents_down{{{KAM}}}", "{{node}}"),),
              "Parents an edge's OPTIONS probing marked down."),
        Panel("Bans and auth failures per minute", "timeseries", "short", (
            (f"sum by (node) (rate(kamailio_script_cc_bans{{{KAM}}}[{RATE}])) * 60",
             "bans {{node}}"),
            (f"sum by (node) (rate(kamailio_script_cc_auth_failures{{{KAM}}}[{RATE}])) * 60",
             "auth failures {{node}}"),
            (f"sum by (node) (rate(kamailio_script_cc_rate_limited{{{KAM}}}[{RATE}])) * 60",
             "rate limited {{node}}"),
        )),
        Panel("Shared memory used", "timeseries", "percentunit",
              ((f"kamailio_shmem_real_used_size{{{KAM}}} / kamailio_shmem_total_size{{{KAM}}}",
                "{{node}}"),)),
    )),
    Section("Queues: waiting, oldest wait, service level", (
        Panel("Calls waiting", "timeseries", "short",
              ((f"sum by (tenant, queue) (cc_queue_calls_waiting{{{QUEUE}}})",
                "{{tenant}}/{{queue}}"),)),
        Panel("Oldest wait", "timeseries", "s",
              ((f"max by (tenant, queue) (cc_queue_oldest_wait_seconds{{{QUEUE}}})",
                "{{tenant}}/{{queue}}"),)),
        Panel("Service level (30 min) and target", "timeseries", "percentunit", (
            (f"tenant_queue:cc_queue_service_level:ratio30m{{{QUEUE}}}",
             "{{tenant}}/{{queue}}"),
            (f"tenant_queue:cc_queue_service_level_target:ratio{{{QUEUE}}}",
             "target {{tenant}}/{{queue}}"),
        ), "Answered within threshold ÷ (answered + abandoned − short abandons)."),
        Panel("Offered, answered, abandoned per minute", "timeseries", "short", (
            (f"sum by (queue) (rate(cc_queue_calls_offered_total{{{QUEUE}}}[{RATE}])) * 60",
             "offered {{queue}}"),
            (f"sum by (queue) (rate(cc_queue_calls_answered_total{{{QUEUE}}}[{RATE}])) * 60",
             "answered {{queue}}"),
            (f"sum by (queue) (rate(cc_queue_calls_abandoned_total{{{QUEUE}}}[{RATE}])) * 60",
             "abandoned {{queue}}"),
        )),
        Panel("Agents by state", "timeseries", "short",
              (('sum by (state) (cc_agents{tenant=~"$tenant"})', "{{state}}"),)),
        Panel("Logged-in agents per open queue", "stat", "short",
              ((f"sum by (tenant, queue) (cc_queue_agents{{{QUEUE}}})"
                f" and on (tenant, queue) max by (tenant, queue) (cc_queue_open{{{QUEUE}}}) == 1",
                "{{tenant}}/{{queue}}"),)),
    )),
    Section("Call controllers: calls, decision latency, ng round trips", (
        Panel("Calls handled", "timeseries", "short",
              (("sum by (instance) (cc_calls_active)", "{{instance}}"),)),
        Panel("ACD decision latency", "timeseries", "s", tuple(
            (f"histogram_quantile({q}, sum by (le) "
             f"(rate(cc_acd_decision_duration_seconds_bucket[{RATE}])))", f"p{int(q * 100)}")
            for q in (0.5, 0.95, 0.99))),
        Panel("RTPengine ng round trip p95 by command", "timeseries", "s",
              ((f"histogram_quantile(0.95, sum by (le, command) "
                f"(rate(cc_rtpengine_ng_duration_seconds_bucket[{RATE}])))", "{{command}}"),)),
        Panel("ng requests failed/s", "timeseries", "reqps",
              ((f'sum by (command) (rate(cc_rtpengine_ng_duration_seconds_count{{ok=~"[Ff]alse"}}'
                f"[{RATE}]))", "{{command}}"),)),
        Panel("evapi connections to the cores", "stat", "none",
              (("cc_evapi_connected", "{{instance}} → {{core}}"),)),
        Panel("API requests/s by status", "timeseries", "reqps",
              ((f"sum by (status) (rate(cc_http_requests_total[{RATE}]))", "{{status}}"),)),
    )),
    Section("Media: RTPengine", (
        Panel("RTPengine sessions", "timeseries", "short",
              (('sum by (node) (rtpengine_sessions{type="own"})', "{{node}}"),)),
        Panel("Media ports used", "timeseries", "percentunit",
              (("rtpengine_ports_used / rtpengine_ports", "{{node}}"),)),
        Panel("Packet errors/s", "timeseries", "pps",
              ((f"sum by (node) (rate(rtpengine_packet_errors_total[{RATE}]))", "{{node}}"),)),
    )),
    Section("Analytics sink", (
        Panel("Sink lag", "timeseries", "s",
              (("max by (instance, backend) (analytics_sink_lag_seconds)",
                "{{instance}} {{backend}}"),),
              "Age of the oldest acknowledged event not yet in ClickHouse."),
        Panel("Spool", "timeseries", "bytes",
              (("analytics_sink_spool_bytes", "{{instance}} {{backend}}"),)),
        Panel("Rows inserted/s", "timeseries", "rowsps",
              ((f"sum by (backend) (rate(analytics_sink_rows_inserted_total[{RATE}]))",
                "{{backend}}"),)),
        Panel("Dead letters and insert failures (15 min)", "timeseries", "short", (
            ("sum by (backend) (increase(analytics_sink_dead_letters_total[15m]))",
             "dead letters {{backend}}"),
            ("sum by (backend) (increase(analytics_sink_insert_failures_total[15m]))",
             "insert failures {{backend}}"),
        )),
    )),
)
