"""The Grafana dashboard: shipped file current, importable shape, valid PromQL, and every
metric it reads exported by the control plane, the sink, the Kamailio cfg or the rules.

Kamailio core and RTPengine names are checked against the real daemons in
tests/integration/analytics/test_prometheus_scrape.py.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any, cast

import pytest
import yaml
from prometheus_client import generate_latest
from prometheus_client.registry import CollectorRegistry

from analytics.grafana import DASHBOARD_FILE, dashboard, expressions, render
from analytics.grafana.__main__ import main as grafana_cli
from analytics.prometheus.exposition import exposition_names
from analytics.prometheus.promql import metric_names
from analytics.prometheus.rulefile import load_rules, recorded_names
from analytics.sink.backend import AnalyticsBackend
from analytics.sink.metrics import SinkCollector
from analytics.sink.writer import EventSink
from control_plane.runtime.metrics import ControlPlaneMetrics
from control_plane.topology.render import REPO_ROOT

PROMETHEUS_OWN = {"up", "ALERTS"}


def static_exported_names(tmp: Path) -> set[str]:
    """Names of the control plane's module and of a (never started) sink's collector."""
    names = exposition_names(generate_latest(ControlPlaneMetrics().registry).decode())
    registry = CollectorRegistry()
    # The collector only reads counters; an unstarted sink has them all at zero.
    registry.register(SinkCollector(EventSink(cast(AnalyticsBackend, object()), tmp), "chdb"))
    return names | exposition_names(generate_latest(registry).decode())


def kamailio_script_names() -> set[str]:
    """``kamailio_script_<var>`` for every statistics variable kamailio.cfg declares."""
    cfg = (REPO_ROOT / "kamailio" / "kamailio.cfg").read_text()
    return {f"kamailio_script_{v}"
            for v in re.findall(r'modparam\("statistics",\s*"variable",\s*"(\w+)"\)', cfg)}


def dashboard_names(doc: dict[str, Any]) -> set[str]:
    names: set[str] = set()
    for expr in expressions(doc):
        names |= metric_names(expr)
    return names


def test_shipped_json_is_what_the_builder_makes() -> None:
    assert DASHBOARD_FILE.read_text(encoding="utf-8") == render(), \
        "regenerate: python -m analytics.grafana render"


def test_dashboard_is_importable_shape() -> None:
    doc = json.loads(DASHBOARD_FILE.read_text())
    assert [i["name"] for i in doc["__inputs"]] == ["DS_PROMETHEUS"]
    ids = [p["id"] for p in doc["panels"]]
    assert len(ids) == len(set(ids))
    cells: set[tuple[int, int]] = set()
    for panel in doc["panels"]:
        pos = panel["gridPos"]
        assert pos["x"] >= 0 and pos["x"] + pos["w"] <= 24
        for x in range(pos["x"], pos["x"] + pos["w"]):
            for y in range(pos["y"], pos["y"] + pos["h"]):
                assert (x, y) not in cells, f"panel {panel['title']!r} overlaps another"
                cells.add((x, y))
        if panel["type"] == "row":
            continue
        assert panel["datasource"] == {"type": "prometheus", "uid": "${DS_PROMETHEUS}"}
        refs = [t["refId"] for t in panel["targets"]]
        assert refs and len(refs) == len(set(refs))
    rows = [p["title"] for p in doc["panels"] if p["type"] == "row"]
    for topic in ("Tiers", "Queues", "controllers", "sink"):
        assert any(topic in r for r in rows), topic
    assert {v["name"] for v in doc["templating"]["list"]} == {"tenant", "queue", "node"}


def test_every_expression_is_valid_promql(tmp_path: Path) -> None:
    promtool = shutil.which("promtool")
    assert promtool, "Debian's prometheus (promtool) is in .ci/apt-packages.txt"
    exprs = expressions(dashboard())
    concrete = [e.replace("$__rate_interval", "1m").replace("$tenant", ".*")
                .replace("$queue", ".*").replace("$node", ".*") for e in exprs]
    assert not any("$" in e for e in concrete)
    rules = {"groups": [{"name": "dashboard", "rules": [
        {"record": f"dashboard:expr_{i}", "expr": e} for i, e in enumerate(concrete)]}]}
    path = tmp_path / "dashboard.rules.yml"
    path.write_text(yaml.safe_dump(rules))
    result = subprocess.run([promtool, "check", "rules", str(path)], capture_output=True,
                            text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_metric_is_exported_by_the_platform(tmp_path: Path) -> None:
    exported = (static_exported_names(tmp_path) | kamailio_script_names()
                | recorded_names(load_rules()) | PROMETHEUS_OWN)
    names = dashboard_names(dashboard())
    ours = {n for n in names if not n.startswith(("kamailio_core", "kamailio_dialog",
                                                 "kamailio_tmx", "kamailio_shmem",
                                                 "kamailio_usrloc", "rtpengine_"))}
    assert ours - exported == set()
    # The dashboard covers each exporter.
    assert {n.split("_")[0] for n in names} >= {"cc", "analytics", "kamailio", "rtpengine"}


def test_a_misspelt_metric_is_caught(tmp_path: Path) -> None:
    doc = dashboard()
    doc["panels"][2]["targets"][0]["expr"] = "sum(rate(cc_queue_calls_ofered_total[5m]))"
    exported = static_exported_names(tmp_path) | recorded_names(load_rules())
    assert dashboard_names(doc) - exported - PROMETHEUS_OWN >= {"cc_queue_calls_ofered_total"}


def test_cli_writes_the_dashboard(tmp_path: Path) -> None:
    out = tmp_path / "d.json"
    assert grafana_cli(["render", "--out", str(out)]) == 0
    assert json.loads(out.read_text())["uid"] == "callcenter-sre"
    assert grafana_cli(["render", "--out", str(tmp_path / "no" / "dir.json")]) == 2


@pytest.mark.parametrize("query", ["label_values(cc_queue_calls_waiting, tenant)"])
def test_variable_queries_name_their_selector(query: str) -> None:
    doc = dashboard()
    doc["templating"]["list"] = [{"type": "query", "query": {"query": query}}]
    doc["panels"], doc["annotations"]["list"] = [], []
    assert dashboard_names(doc) == {"cc_queue_calls_waiting"}
