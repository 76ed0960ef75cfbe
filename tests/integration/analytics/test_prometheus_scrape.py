"""The rendered scrape config against the real tiers and a real Prometheus.

Prometheus (Debian's) scrapes the demo topology's daemons through the config
``analytics.prometheus`` renders, loads the shipped rules, and sees: every component up
with its node/role labels; every metric the rules and the dashboard read really exported
by the component that should export it; a node that does not answer raising
KamailioNodeDown; a real sink's dead letter raising AnalyticsDeadLetters.
"""

from __future__ import annotations

import asyncio
import tempfile
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import pytest
import yaml
from prometheus_client import CollectorRegistry, start_http_server

from analytics.grafana import dashboard, expressions
from analytics.prometheus import JOB_CONTROL_PLANE, render_config, scrape_targets
from analytics.prometheus.exposition import exposition_names
from analytics.prometheus.promql import metric_names
from analytics.prometheus.rulefile import load_rules, recorded_names, scraped_names
from analytics.sink.backends.chdb_backend import ChdbBackend
from analytics.sink.contract import SinkConfig
from analytics.sink.metrics import SinkCollector
from analytics.sink.writer import EventSink
from control_plane.topology.model import KamailioNode, Role
from tests.conftest import RunningStack
from tests.integration.analytics.conftest import fresh_database
from tests.integration.analytics.prometheus_server import RunningPrometheus, start_prometheus
from tests.integration.analytics.sink_child import event
from tests.support import eventually

PHANTOM = "county-phantom"


def _fetch(url: str) -> str:
    with urllib.request.urlopen(url, timeout=5) as r:
        return str(r.read().decode())


@dataclass
class Observed:
    """What the real exporters offer, per kind of component, and the running Prometheus."""

    kamailio: dict[str, set[str]]  # role -> names every node of that role exports
    control_plane: set[str]
    rtpengine: set[str]
    sink: set[str]
    prometheus: RunningPrometheus
    sink_handle: tuple[EventSink, asyncio.AbstractEventLoop]


@pytest.fixture(scope="module")
def sink_loop() -> Iterator[asyncio.AbstractEventLoop]:
    loop = asyncio.new_event_loop()
    yield loop
    loop.close()


@pytest.fixture(scope="module")
def observed(tiers: RunningStack, chdb_session_backend: ChdbBackend,
             sink_loop: asyncio.AbstractEventLoop) -> Iterator[Observed]:
    topo = tiers.topo
    root = Path(tempfile.mkdtemp(prefix="cc-prom-", dir="/tmp"))
    # A real sink (chDB) whose collector is served the way the control plane serves it.
    chdb_session_backend.database = fresh_database()
    sink = EventSink(chdb_session_backend, root / "spool", SinkConfig(flush_interval_s=0.2))
    sink_loop.run_until_complete(sink.start())
    sink_loop.run_until_complete(sink.emit("queue_calls", event(1)))
    sink_loop.run_until_complete(sink.flush())
    registry = CollectorRegistry()
    registry.register(SinkCollector(sink, "chdb"))
    sink_host = topo.control_plane.address
    http, _thread = start_http_server(0, addr=sink_host, registry=registry)
    sink_port = http.server_port
    # A Kamailio that the topology lists but that is not running: must be reported down.
    free = f"{topo.nodes[0].address.rsplit('.', 1)[0]}.200"
    phantom = KamailioNode(PHANTOM, Role.COUNTY, free, http_port=5071,
                           parents=(topo.nodes[0].name,))
    doc = yaml.safe_load(render_config(replace(topo, nodes=(*topo.nodes, phantom)),
                                       scrape_interval="1s", evaluation_interval="1s"))
    doc["scrape_configs"].append({
        "job_name": JOB_CONTROL_PLANE + "-sink", "static_configs": [
            {"targets": [f"{sink_host}:{sink_port}"],
             "labels": {"node": "analytics-sink", "role": "control-plane"}}]})
    config = root / "prometheus.yml"
    config.write_text(yaml.safe_dump(doc))
    prom = start_prometheus(config, root)
    try:
        by_role: dict[str, set[str]] = {}
        for target in scrape_targets(topo):
            names = exposition_names(_fetch(target.url))
            if target.job.endswith("kamailio"):
                by_role[target.role] = by_role.get(target.role, names) & names
            elif target.role == "rtpengine":
                rtp = names
            else:
                cp = names
        sink_names = exposition_names(_fetch(f"http://{sink_host}:{sink_port}/metrics"))
        yield Observed(by_role, cp, rtp, sink_names, prom, (sink, sink_loop))
    finally:
        prom.stop()
        http.shutdown()
        sink_loop.run_until_complete(sink.close())


def test_every_component_is_scraped_up_with_node_and_role(tiers: RunningStack,
                                                          observed: Observed) -> None:
    expected = {(t.job, t.node, t.role) for t in scrape_targets(tiers.topo)}

    def up() -> set[tuple[str, str, str]] | None:
        seen = {(r["metric"]["job"], r["metric"]["node"], r["metric"]["role"])
                for r in observed.prometheus.query('up{job=~"callcenter-.*"} == 1')}
        return seen if expected <= seen else None

    assert eventually(up, timeout=30) == expected | {
        (JOB_CONTROL_PLANE + "-sink", "analytics-sink", "control-plane")}
    # Samples really landed, per component (not just a 200 on /metrics).
    for name, job in (("kamailio_core_rcv_requests", "callcenter-kamailio"),
                      ("rtpengine_ports", "callcenter-rtpengine"),
                      ("cc_build_info", "callcenter-control-plane")):
        assert observed.prometheus.query(f'{name}{{job="{job}"}}'), name


def test_rules_read_only_metrics_the_right_component_exports(observed: Observed) -> None:
    needed = scraped_names(load_rules())
    kamailio_all = set().union(*observed.kamailio.values())
    for name in needed:
        if name.startswith("kamailio_"):
            assert name in kamailio_all, name
        elif name.startswith("cc_"):
            assert name in observed.control_plane, name
        else:
            assert name in observed.sink, name
    # The per-role facts the rules lean on.
    assert "kamailio_usrloc_location_contacts" in observed.kamailio["province"]
    for edge in ("city", "county"):
        assert "kamailio_script_cc_parents_down" in observed.kamailio[edge]
    for role in observed.kamailio:
        assert "kamailio_script_cc_bans" in observed.kamailio[role]


def test_dashboard_reads_only_exported_metrics(observed: Observed) -> None:
    exported = (set().union(*observed.kamailio.values()) | observed.rtpengine
                | observed.control_plane | observed.sink | recorded_names(load_rules())
                | {"up", "ALERTS"})
    used: set[str] = set()
    for expr in expressions(dashboard()):
        used |= metric_names(expr)
    assert used - exported == set()


def test_prometheus_loads_and_evaluates_every_rule(observed: Observed) -> None:
    def healthy() -> list[dict[str, object]] | None:
        groups = observed.prometheus.api("rules")["groups"]
        rules = [r for g in groups for r in g["rules"]]
        ok = len(rules) == len(load_rules()) and all(
            r["health"] == "ok" and r.get("lastEvaluation", "").startswith("2") for r in rules)
        return rules if ok else None

    eventually(healthy, timeout=20)


def test_a_node_that_does_not_answer_raises_kamailio_node_down(observed: Observed) -> None:
    def alert() -> list[dict[str, object]] | None:
        return observed.prometheus.query('ALERTS{alertname="KamailioNodeDown"}') or None

    alerts = eventually(alert, timeout=30)
    assert {a["metric"]["node"] for a in alerts} == {PHANTOM}  # type: ignore[index]


def test_a_dead_letter_raises_analytics_dead_letters(observed: Observed) -> None:
    sink, loop = observed.sink_handle
    query = 'analytics_sink_dead_letters_total{node="analytics-sink"}'
    eventually(lambda: observed.prometheus.query(query), timeout=20)  # a 0 sample first
    result = loop.run_until_complete(sink.emit("queue_calls", {"event_id": "broken"}))
    assert result.rejected == 1

    def firing() -> list[dict[str, object]] | None:
        return observed.prometheus.query(
            'ALERTS{alertname="AnalyticsDeadLetters", alertstate="firing"}') or None

    assert eventually(firing, timeout=30)[0]["metric"]["node"] == "analytics-sink"  # type: ignore[index]
