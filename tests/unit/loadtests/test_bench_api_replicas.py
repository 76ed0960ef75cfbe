"""bench-api's two-replica helpers: the center file, the topology, the replicas' settings,
the users' hosts, the desk login verdict and the combined result (pure functions)."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from control_plane.calls.center import parse_center
from control_plane.runtime.settings import load_settings
from control_plane.topology.model import load_topology
from loadtests.bench_api_hosts import BadHosts, desk_login_ok, host_for, hosts_from
from loadtests.bench_api_replicas import (
    DEMO_TOPOLOGY,
    api_requests_served,
    center_toml,
    combine,
    replica_env,
    replica_topology,
)
from loadtests.report import rows_for


def test_the_center_file_has_the_bench_tenant_queue_and_agents_in_order() -> None:
    center = parse_center(tomllib.loads(center_toml(3)))
    assert set(center.tenants) == {"bench"}
    assert set(center.queues) == {("bench", "sales")}
    assert [a.agent_id for a in center.agents] == ["agent1", "agent2", "agent3"]
    assert "lunch" in center.tenants["bench"].pause_reasons  # locust pauses with it
    with pytest.raises(ValueError, match=r"\[bench-api\.center\]"):
        center_toml(0)


def test_the_topology_has_two_replicas_on_their_own_sockets_and_reads_back(
        tmp_path: Path) -> None:
    topo = replica_topology(load_topology(DEMO_TOPOLOGY), "127.201.7")
    path = tmp_path / "topology.toml"
    path.write_text(topo.to_toml(), encoding="utf-8")
    again = load_topology(path)  # validates: no socket claimed twice
    names = [(n.name, n.address, n.port) for n in again.control_planes]
    assert [n for n, _, _ in names] == ["cp-1", "cp-2"]
    assert len({(a, p) for _, a, p in names}) == 2
    assert all(a.startswith("127.201.7.") for _, a, _ in names)


def test_each_replica_gets_its_own_name_and_address_and_the_shared_secret_and_redis(
        tmp_path: Path) -> None:
    topo = replica_topology(load_topology(DEMO_TOPOLOGY), "127.201.8")
    files = {"run": tmp_path / "run", "db": tmp_path / "db.sqlite",
             "center": tmp_path / "center.toml", "topology": tmp_path / "topology.toml"}
    envs = [replica_env(n, files=files, redis_url="redis://127.0.0.1:6399/0",
                        inherited={"PATH": "/bin", "CC_STRAY__KEY": "x"})
            for n in topo.control_planes]
    assert all("CC_STRAY__KEY" not in e and e["PATH"] == "/bin" for e in envs)
    settings = [load_settings(environ=e) for e in envs]  # the loader accepts every key
    assert [s.calls.replica for s in settings] == ["cp-1", "cp-2"]
    assert {s.calls.failover_redis_url for s in settings} == {"redis://127.0.0.1:6399/0"}
    assert len({s.auth.token_secret.get_secret_value() for s in settings
                if s.auth.token_secret is not None}) == 1
    assert len({(s.api.host, s.api.port) for s in settings}) == 2
    assert len({s.runtime.run_dir for s in settings}) == 2
    assert {s.database.url for s in settings} == {f"sqlite:///{files['db']}"}


def test_users_take_the_replicas_in_turn() -> None:
    hosts = hosts_from("http://a:1/, http://b:2", None)
    assert hosts == ["http://a:1", "http://b:2"]
    assert [host_for(i, hosts) for i in range(1, 6)] == [
        "http://a:1", "http://b:2", "http://a:1", "http://b:2", "http://a:1"]
    assert hosts_from(None, "http://c:3/") == ["http://c:3"]
    assert hosts_from("  ", "http://c:3") == ["http://c:3"]


@pytest.mark.parametrize(("value", "default"), [
    ("http://a:1,,http://b:2", None), ("a:1", None), (None, None), ("", "")])
def test_bad_host_lists_are_refused_with_the_error_id(value: str | None,
                                                      default: str | None) -> None:
    with pytest.raises(BadHosts, match=r"\[bench-api.hosts\]"):
        hosts_from(value, default)


def test_host_for_refuses_no_hosts_and_user_zero() -> None:
    with pytest.raises(BadHosts):
        host_for(1, [])
    with pytest.raises(ValueError, match="start at 1"):
        host_for(0, ["http://a:1"])


def test_a_desk_login_is_ok_when_done_or_already_done_by_the_center_only() -> None:
    refused = {"error": {"id": "agent.action_refused", "details": {"refusal": "x"}}}
    already = {"error": {"id": "agent.action_refused",
                         "details": {"refusal": "already_logged_in"}}}
    assert desk_login_ok(200, {"state": "ready"})
    assert desk_login_ok(409, already)
    assert not desk_login_ok(409, refused)
    assert not desk_login_ok(503, already)
    assert not desk_login_ok(409, None)
    assert not desk_login_ok(409, {"error": "text"})


def test_combine_keeps_one_process_keys_and_adds_the_two_replica_ones_with_ratios() -> None:
    one = {"api_rps": 400.0, "api_p99_ms": 50.0, "ws_fanout_msgs_per_s": 100_000.0,
           "api_failures": 0, "ws_burst_events": 2000}
    two = {"api_rps": 300.0, "api_p99_ms": 100.0, "ws_fanout_msgs_per_s": 50_000.0,
           "api_failures": 3, "ws_burst_events": 2000, "unrelated": 1}
    out = combine(one, two)
    assert {k: out[k] for k in one} == one
    assert out["api_rps_2_replicas"] == 300.0
    assert out["api_p99_ms_2_replicas"] == 100.0
    assert out["ws_fanout_msgs_per_s_2_replicas"] == 50_000.0
    assert out["api_failures_2_replicas"] == 3
    assert out["api_rps_ratio_2_to_1"] == 0.75
    assert out["api_p99_ratio_2_to_1"] == 2.0
    assert out["ws_fanout_ratio_2_to_1"] == 0.5
    assert "unrelated" not in out and "unrelated_2_replicas" not in out


def test_combine_gives_no_ratio_against_zero_or_a_missing_figure() -> None:
    out = combine({"api_rps": 0.0, "api_p99_ms": 5.0}, {"api_rps": 10.0})
    assert out["api_rps_ratio_2_to_1"] is None
    assert out["api_p99_ratio_2_to_1"] is None
    assert out["ws_fanout_ratio_2_to_1"] is None


def test_the_report_puts_two_replicas_beside_one_process_and_judges_the_bounds() -> None:
    rows = {(r.figure, r.kind): r for r in rows_for("api", {
        "api_rps": 400.0, "api_p99_ms": 50.0, "api_failures": 0,
        "ws_fanout_msgs_per_s": 100_000.0, "ws_lagged": 0,
        "api_rps_2_replicas": 300.0, "api_p99_ms_2_replicas": 600.0,
        "api_failures_2_replicas": 2, "ws_fanout_msgs_per_s_2_replicas": 50_000.0,
        "ws_lagged_2_replicas": 0})}
    assert rows[("api_rps_2_replicas", "baseline")].baseline == 400.0
    assert rows[("api_rps_2_replicas", "baseline")].ratio == 0.75
    assert rows[("api_p99_ms_2_replicas", "baseline")].ratio == 12.0
    assert rows[("api_p99_ms_2_replicas", "bound")].verdict == "missed"  # over 500 ms
    assert rows[("api_p99_ms", "bound")].verdict == "met"
    assert rows[("api_failures_2_replicas", "target")].verdict == "missed"
    assert rows[("ws_fanout_msgs_per_s_2_replicas", "baseline")].ratio == 0.5
    assert rows[("ws_lagged_2_replicas", "target")].verdict == "met"
    # A one-process run (--replicas 1): the two-replica rows stay visible, without figures.
    alone = {r.figure: r for r in rows_for("api", {"api_rps": 400.0})}
    assert alone["api_rps_2_replicas"].value is None
    assert alone["api_rps_2_replicas"].ratio is None


def test_api_requests_served_sums_the_api_routes_of_the_prometheus_counter() -> None:
    text = "\n".join([
        "# HELP cc_http_requests_total HTTP requests served, by route and status",
        "# TYPE cc_http_requests_total counter",
        'cc_http_requests_total{route="/api/v1/agent/status",status="200"} 120.0',
        'cc_http_requests_total{route="/api/v1/agent/pause",status="409"} 3.0',
        'cc_http_requests_total{route="/healthz",status="200"} 40.0',
        'cc_http_requests_created{route="/api/v1/agent/status",status="200"} 1.7e9',
        'cc_http_latency_seconds_count{route="/api/v1/agent/status"} 120.0'])
    assert api_requests_served(text) == 123
    assert api_requests_served("") == 0
