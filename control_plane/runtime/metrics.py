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
