"""Operating the nodes: kamcli against each node's RPC socket, Prometheus metrics."""

from __future__ import annotations

import json
import subprocess
import urllib.request
from typing import Any

import pytest

from control_plane.topology.model import Role
from tests.conftest import RunningStack


def _kamcli(stack: RunningStack, node_name: str, *args: str) -> Any:
    ini = stack.stack.run_dir / node_name / "kamcli.ini"
    proc = subprocess.run(["kamcli", "-c", str(ini), *args], capture_output=True, text=True,
                          timeout=20, check=False)
    assert proc.returncode == 0, proc.stderr
    text = proc.stdout
    return json.loads(text[text.index("{"):])


def _metrics(stack: RunningStack, node_name: str) -> dict[str, float]:
    node = stack.topo.node(node_name)
    url = f"http://{node.rpc_address}:{node.http_port}/metrics"
    with urllib.request.urlopen(url, timeout=2) as resp:
        lines = resp.read().decode().splitlines()
    out: dict[str, float] = {}
    for line in lines:
        if line and not line.startswith("#"):
            name, value, *_ = line.split()
            out[name] = float(value)
    return out


def test_kamcli_ul_show_on_each_core(tiers: RunningStack) -> None:
    for core in tiers.topo.by_role(Role.PROVINCE):
        reply = _kamcli(tiers, core.name, "ul", "show")
        assert "Domains" in reply["result"]


def test_kamcli_dispatcher_list_on_an_edge_shows_both_cores(tiers: RunningStack) -> None:
    reply = _kamcli(tiers, "city-1", "dispatcher", "list")
    uris = {t["DEST"]["URI"] for r in reply["result"]["RECORDS"] for t in r["SET"]["TARGETS"]}
    assert uris == {f"sip:{c.address}:5060" for c in tiers.topo.by_role(Role.PROVINCE)}


def test_kamcli_stats(tiers: RunningStack) -> None:
    reply = _kamcli(tiers, "county-1", "stats", "script")
    names = {str(line).split(" = ")[0] for line in reply["result"]}
    assert {"script:cc_bans", "script:cc_auth_failures", "script:cc_parents_down"} <= names


@pytest.mark.parametrize("node", ["prov-a", "city-1", "county-2"])
def test_every_node_exports_prometheus_metrics(tiers: RunningStack, node: str) -> None:
    metrics = _metrics(tiers, node)
    for name in ("kamailio_tmx_UAS_transactions", "kamailio_script_cc_bans",
                 "kamailio_script_cc_auth_failures", "kamailio_script_cc_parents_down"):
        assert name in metrics, f"{name} missing on {node}"
    if tiers.topo.node(node).role is Role.PROVINCE:
        assert "kamailio_usrloc_registered_users" in metrics
        assert "kamailio_dialog_active_dialogs" in metrics


def test_rpc_listener_refuses_the_sip_port(tiers: RunningStack) -> None:
    node = tiers.topo.node("city-1")
    req = urllib.request.Request(f"http://{node.address}:{node.sip_port}/RPC",
                                 data=b'{"jsonrpc":"2.0","method":"core.version","id":1}')
    with pytest.raises(OSError):
        urllib.request.urlopen(req, timeout=2)
