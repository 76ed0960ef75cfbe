"""Alert rules and scrape config checked and unit-tested by Debian's promtool.

Every alert has promtool cases that must fire and must not; mutating a rule makes its cases
fail (so the promtool tests can fail), and the rendered scrape config passes check config.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from prometheus_client import generate_latest

from analytics.prometheus import (
    JOB_CONTROL_PLANE,
    JOB_KAMAILIO,
    JOB_RTPENGINE,
    RULES_FILE,
    render_config,
    scrape_targets,
)
from analytics.prometheus.__main__ import main as prometheus_cli
from analytics.prometheus.exposition import exposition_names
from analytics.prometheus.promql import metric_names
from analytics.prometheus.rulefile import load_rules, scraped_names
from control_plane.runtime.metrics import ControlPlaneMetrics
from control_plane.topology.model import load_topology
from tests.support import DEMO_TOPOLOGY

RULES_DIR = RULES_FILE.parent
TESTS = sorted((RULES_DIR / "tests").glob("*.test.yml"))
PROMTOOL = shutil.which("promtool")


def promtool(*args: str | Path) -> subprocess.CompletedProcess[str]:
    assert PROMTOOL, "promtool missing: .ci/apt-packages.txt installs Debian's prometheus"
    return subprocess.run([PROMTOOL, *map(str, args)], capture_output=True, text=True,
                          timeout=120, check=False)


def test_rules_pass_promtool_check() -> None:
    result = promtool("check", "rules", RULES_FILE)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"SUCCESS: {len(load_rules())} rules found" in result.stdout


def test_rule_unit_tests_pass() -> None:
    assert len(TESTS) >= 4
    result = promtool("test", "rules", *TESTS)
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_alert_has_cases_that_fire_and_cases_that_do_not() -> None:
    fires: set[str] = set()
    quiet: set[str] = set()
    for path in TESTS:
        for case in yaml.safe_load(path.read_text())["tests"]:
            for check in case.get("alert_rule_test", []):
                (fires if check["exp_alerts"] else quiet).add(check["alertname"])
    alerts = {r.name for r in load_rules() if r.kind == "alert"}
    assert alerts >= {"QueueServiceLevelBreach", "QueueOldestWaitTooLong",
                      "QueueNoAgentsLoggedIn", "KamailioNodeDown", "DispatcherDestinationDown",
                      "AnalyticsSinkLag", "AnalyticsSpoolGrowing", "BanStorm",
                      "RegistrationDrop"}
    assert alerts - fires == set(), "alerts never seen firing"
    assert alerts - quiet == set(), "alerts never checked to stay quiet"


MUTATIONS = [
    # Counting short abandons against the service level: the shortab queue would breach.
    ("- tenant_queue:cc_queue_calls_short_abandoned:increase30m",
     "+ tenant_queue:cc_queue_calls_short_abandoned:increase30m"),
    # Judging each replica alone instead of the queue across replicas.
    ("sum by (tenant, queue) (increase(cc_queue_calls_answered_in_target_total[30m]))",
     "sum by (tenant, queue, instance) (increase(cc_queue_calls_answered_in_target_total[30m]))"),
    ("max by (tenant, queue) (cc_queue_oldest_wait_seconds) > 120",
     "max by (tenant, queue) (cc_queue_oldest_wait_seconds) > 100"),
    ("sum by (tenant, queue) (cc_queue_agents) > 0",
     "sum by (tenant, queue) (cc_queue_agents) > 1"),
    # Reading every tier's location table, not only the registrar's.
    ('kamailio_usrloc_location_contacts{role="province"}', "kamailio_usrloc_location_contacts"),
    ("expr: kamailio_script_cc_parents_down > 0\n        for: 30s",
     "expr: kamailio_script_cc_parents_down > 0\n        for: 0s"),
]


@pytest.mark.parametrize(("old", "new"), MUTATIONS, ids=range(len(MUTATIONS)))
def test_a_broken_rule_fails_its_promtool_cases(tmp_path: Path, old: str, new: str) -> None:
    rules = RULES_FILE.read_text()
    assert old in rules, old
    shutil.copytree(RULES_DIR, tmp_path / "rules")
    (tmp_path / "rules" / RULES_FILE.name).write_text(rules.replace(old, new))
    result = promtool("test", "rules", *sorted((tmp_path / "rules" / "tests").glob("*.yml")))
    assert result.returncode != 0, "promtool cases did not notice the broken rule"
    assert "FAILED" in result.stdout + result.stderr


def test_rendered_scrape_config_passes_check_config(tmp_path: Path) -> None:
    topo = load_topology(DEMO_TOPOLOGY)
    config = tmp_path / "prometheus.yml"
    assert prometheus_cli(["render", "--topology", str(DEMO_TOPOLOGY), "--out",
                           str(config), "--alertmanager", "127.0.0.1:9093"]) == 0
    assert config.read_text() == render_config(topo, alertmanagers=("127.0.0.1:9093",))
    result = promtool("check", "config", config)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 rule files found" in result.stdout


def test_one_job_per_component_with_node_and_role_labels() -> None:
    topo = load_topology(DEMO_TOPOLOGY)
    doc = yaml.safe_load(render_config(topo))
    jobs = {j["job_name"]: j for j in doc["scrape_configs"]}
    assert set(jobs) == {JOB_CONTROL_PLANE, JOB_KAMAILIO, JOB_RTPENGINE}
    kam = {g["labels"]["node"]: (g["targets"], g["labels"]["role"])
           for g in jobs[JOB_KAMAILIO]["static_configs"]}
    assert kam == {n.name: ([f"{n.rpc_address}:{n.http_port}"], n.role.value)
                   for n in topo.nodes}
    assert jobs[JOB_KAMAILIO]["honor_timestamps"] is False
    assert jobs[JOB_RTPENGINE]["static_configs"] == [
        {"targets": ["127.0.10.1:2225"], "labels": {"node": "rtpengine", "role": "rtpengine"}}]
    assert jobs[JOB_CONTROL_PLANE]["static_configs"] == [
        {"targets": ["127.0.0.1:8080"],
         "labels": {"node": "control-plane", "role": "control-plane"}}]
    assert len(scrape_targets(topo)) == len(topo.nodes) + 2
    # A relocated copy (what tests and a second site use) scrapes its own addresses.
    moved = yaml.safe_load(render_config(topo.relocated("127.99.1")))
    assert "127.0." not in str(moved["scrape_configs"])


def test_bad_topology_gives_a_stable_error_id(tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "t.toml"
    bad.write_text('[[node]]\nname = "x"\nrole = "moon"\naddress = "127.0.0.1"\n')
    assert prometheus_cli(["render", "--topology", str(bad)]) == 2
    assert capsys.readouterr().err.startswith("error[prometheus.topology_invalid]: ")


def test_control_plane_names_the_rules_read_exist_in_the_metrics_module() -> None:
    exported = exposition_names(generate_latest(ControlPlaneMetrics().registry).decode())
    needed = {n for n in scraped_names(load_rules()) if n.startswith("cc_")}
    assert needed, "the rules read control-plane metrics"
    assert needed - exported == set()


@pytest.mark.parametrize(("expr", "names"), [
    ('sum by (tenant) (rate(a_total{x="b c"}[5m])) / on (tenant) group_left b:rec', {"a_total",
                                                                                    "b:rec"}),
    ("histogram_quantile(0.95, sum by (le) (rate(h_bucket[$__rate_interval])))", {"h_bucket"}),
    ("up{job=\"j\"} == 0 and on() vector(1) unless absent(x offset 5m) > bool 1e3", {"up", "x"}),
    ('label_replace(m, "dst", "$1", "src", "(.*)")', {"m"}),
    ("count without (state) (cc_agents) or 0 * foo inf", {"cc_agents", "foo"}),
])
def test_metric_names_of_promql(expr: str, names: set[str]) -> None:
    assert metric_names(expr) == names


def test_exposition_names_include_families_without_samples() -> None:
    text = ("# TYPE a counter\n# TYPE b_total counter\n# TYPE h histogram\n"
            "# TYPE g gauge\ng{x=\"1\"} 2\nkamailio_core_x 1 1795307185360\n")
    assert exposition_names(text) == {"a_total", "b_total", "h_bucket", "h_count", "h_sum",
                                      "g", "kamailio_core_x"}
