"""Prometheus view of a sink: a collector reading its counters at scrape time.

Register once in the control plane: ``REGISTRY.register(SinkCollector(sink))``.
Alerting on ``analytics_sink_lag_seconds`` and ``analytics_sink_spool_bytes`` catches a
ClickHouse that stopped taking events; ``analytics_sink_dead_letters_total`` catches a
producer sending malformed events.
"""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

from analytics.sink.writer import EventSink


class SinkCollector(Collector):
    """Exports one sink's counters; ``backend`` labels them (``chdb`` or ``server``)."""

    def __init__(self, sink: EventSink, backend: str) -> None:
        self._sink = sink
        self._backend = backend

    def collect(self) -> Iterator[CounterMetricFamily | GaugeMetricFamily]:
        """Metric families with the sink's current values."""
        stats, labels = self._sink.stats, [self._backend]
        counters: tuple[tuple[str, str, float], ...] = (
            ("analytics_sink_events_accepted", "Events acknowledged (spooled)", stats.accepted),
            ("analytics_sink_dead_letters", "Events refused into the dead-letter file",
             self._sink.dead_letters.count),
            ("analytics_sink_duplicates", "Repeated event ids dropped", stats.duplicates),
            ("analytics_sink_rows_inserted", "Rows inserted into ClickHouse", stats.inserted),
            ("analytics_sink_insert_batches", "Batches inserted", stats.batches),
            ("analytics_sink_insert_failures", "Failed insert attempts (retried)",
             stats.insert_failures),
            ("analytics_sink_rollup_keys_repaired",
             "Rollup keys refilled after a crash in the middle of an insert",
             stats.rollup_keys_repaired),
        )
        for name, doc, value in counters:
            family = CounterMetricFamily(name, doc, labels=["backend"])
            family.add_metric(labels, value)
            yield family
        gauges: tuple[tuple[str, str, float], ...] = (
            ("analytics_sink_lag_seconds",
             "Age of the oldest acknowledged event not yet in ClickHouse", stats.lag_seconds()),
            ("analytics_sink_spool_rows", "Events waiting in the spool", self._sink.rows_pending),
            ("analytics_sink_spool_bytes", "Bytes waiting in the spool", self._sink.spool_bytes),
        )
        for name, doc, value in gauges:
            gauge = GaugeMetricFamily(name, doc, labels=["backend"])
            gauge.add_metric(labels, value)
            yield gauge
