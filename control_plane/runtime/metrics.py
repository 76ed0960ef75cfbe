"""Prometheus metrics of the control plane (``/metrics``), named the Prometheus way."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram


class ControlPlaneMetrics:
    """The metric families one control-plane process exports, in their own registry."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.build_info = Gauge(
            "cc_build_info", "Version of the running control plane", ["version"],
            registry=self.registry,
        )
        self.http_requests = Counter(
            "cc_http_requests_total", "HTTP requests served, by route and status",
            ["route", "status"], registry=self.registry,
        )
        self.http_latency = Histogram(
            "cc_http_request_duration_seconds", "HTTP request latency by route", ["route"],
            registry=self.registry,
        )
        self.seats_registered = Gauge(
            "cc_seats_registered", "Seat contacts registered at the province cores",
            registry=self.registry,
        )
        self.presence_events = Counter(
            "cc_presence_events_total", "Registrar events received over evapi", ["event"],
            registry=self.registry,
        )
        self.presence_bad_events = Counter(
            "cc_presence_bad_events_total", "Registrar events that could not be understood",
            registry=self.registry,
        )
        self.presence_resyncs = Counter(
            "cc_presence_resyncs_total", "Seat list resyncs from ul.dump, by core", ["core"],
            registry=self.registry,
        )
        self.evapi_connected = Gauge(
            "cc_evapi_connected", "1 while the evapi connection to a core is up", ["core"],
            registry=self.registry,
        )
        self.queue_calls_waiting = Gauge(
            "cc_queue_calls_waiting", "Calls waiting in a queue", ["tenant", "queue"],
            registry=self.registry,
        )
        # Queue, agent and controller families the alert rules and the Grafana dashboard
        # read (analytics/prometheus, analytics/grafana); the ACD and call controller set them.
        self.queue_oldest_wait = Gauge(
            "cc_queue_oldest_wait_seconds", "Wait of the oldest call still queued",
            ["tenant", "queue"], registry=self.registry,
        )
        self.queue_calls_offered = Counter(
            "cc_queue_calls_offered", "Calls that entered a queue", ["tenant", "queue"],
            registry=self.registry,
        )
        self.queue_calls_answered = Counter(
            "cc_queue_calls_answered", "Queued calls answered by an agent", ["tenant", "queue"],
            registry=self.registry,
        )
        self.queue_calls_answered_in_target = Counter(
            "cc_queue_calls_answered_in_target",
            "Queued calls answered within the queue's service-level threshold",
            ["tenant", "queue"], registry=self.registry,
        )
        self.queue_calls_abandoned = Counter(
            "cc_queue_calls_abandoned", "Callers who hung up while queued", ["tenant", "queue"],
            registry=self.registry,
        )
        self.queue_calls_short_abandoned = Counter(
            "cc_queue_calls_short_abandoned",
            "Abandons quicker than the queue's short-abandon time (left out of service level)",
            ["tenant", "queue"], registry=self.registry,
        )
        self.queue_service_level_target = Gauge(
            "cc_queue_service_level_target_ratio",
            "The queue's service-level target (0.8 for 80 % in its threshold)",
            ["tenant", "queue"], registry=self.registry,
        )
        self.queue_open = Gauge(
            "cc_queue_open", "1 while the queue is within its opening hours (expected staffed)",
            ["tenant", "queue"], registry=self.registry,
        )
        self.queue_agents = Gauge(
            "cc_queue_agents", "Logged-in agents holding the queue's skills, by state",
            ["tenant", "queue", "state"], registry=self.registry,
        )
        self.agents = Gauge(
            "cc_agents", "Logged-in agents by state", ["tenant", "state"],
            registry=self.registry,
        )
        self.calls_active = Gauge(
            "cc_calls_active", "Calls this call controller is handling",
            registry=self.registry,
        )
        self.acd_decision_latency = Histogram(
            "cc_acd_decision_duration_seconds", "Time the ACD took to decide",
            buckets=(0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1),
            registry=self.registry,
        )
        self.ng_round_trip = Histogram(
            "cc_rtpengine_ng_duration_seconds", "RTPengine ng request round trips",
            ["command", "ok"], registry=self.registry,
        )
