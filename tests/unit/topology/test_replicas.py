"""Several control-plane replicas of one center: parsing, validation, rendering."""

from __future__ import annotations

from pathlib import Path

import pytest

from analytics.prometheus.scrape import JOB_CONTROL_PLANE, scrape_targets
from control_plane.topology.model import TopologyError, parse_topology
from control_plane.topology.render import (
    SiteSecrets,
    dispatcher_list,
    node_header,
    peer_addresses,
)
from tests.support import DEMO_TOPOLOGY

BASE = """
domain = "cc.test"
[[node]]
name = "p"
role = "province"
address = "127.1.1.1"
[control_plane]
name = "cp-a"
address = "127.1.1.10"
sip_port = 5080
"""

TWO = BASE + """
[[control_plane.replicas]]
name = "cp-b"
address = "127.1.1.11"
[[control_plane.replicas]]
name = "cp-c"
address = "127.1.1.10"
port = 8090
sip_port = 5090
"""


def _secrets(tmp: Path) -> SiteSecrets:
    return SiteSecrets(credentials_db=tmp / "cc.sqlite", auth_secret="abc123")


def test_replicas_share_the_center_numbers_and_come_after_the_first() -> None:
    topo = parse_topology(TWO)
    assert [cp.name for cp in topo.control_planes] == ["cp-a", "cp-b", "cp-c"]
    assert topo.control_planes[0] is topo.control_plane
    assert {cp.center_numbers for cp in topo.control_planes} == {"^4008[0-9]{6}$"}
    assert topo.control_planes[1].port == 8080 and topo.control_planes[1].sip_port == 5080


def test_round_trip_and_relocation_keep_every_replica() -> None:
    topo = parse_topology(TWO)
    assert parse_topology(topo.to_toml()).control_planes == topo.control_planes
    moved = topo.relocated("127.202.9")
    assert all(cp.address.startswith("127.202.9.") for cp in moved.control_planes)
    # Two replicas on one address stay on one address.
    assert moved.control_planes[0].address == moved.control_planes[2].address
    assert parse_topology(moved.to_toml()) == moved


def test_dispatcher_set_3_peers_and_trusted_controllers_list_every_replica(
    tmp_path: Path,
) -> None:
    topo = parse_topology(TWO)
    core = topo.node("p")
    set3 = [ln for ln in dispatcher_list(core, topo).splitlines() if ln.startswith("3 ")]
    assert set3 == ["3 sip:127.1.1.10:5080 0 0 name=cp-a", "3 sip:127.1.1.11:5080 0 0 name=cp-b",
                    "3 sip:127.1.1.10:5090 0 0 name=cp-c"]
    header = node_header(core, topo, tmp_path, _secrets(tmp_path))
    assert '"!CONTROLLER_ADDRS!127.1.1.10,127.1.1.11!g"' in header
    assert {"127.1.1.10", "127.1.1.11"} <= set(peer_addresses(core, topo))


def test_one_replica_renders_exactly_as_before(tmp_path: Path) -> None:
    topo = parse_topology(DEMO_TOPOLOGY.read_text())
    assert topo.control_plane_replicas == ()
    core = topo.node("prov-a")
    assert dispatcher_list(core, topo).splitlines()[-1] == (
        "3 sip:127.0.0.1:5080 0 0 name=control-plane")
    assert '"!CONTROLLER_ADDRS!127.0.0.1!g"' in node_header(core, topo, tmp_path,
                                                           _secrets(tmp_path))
    assert "replicas" not in topo.to_toml()


def test_prometheus_scrapes_every_replica() -> None:
    targets = [t for t in scrape_targets(parse_topology(TWO)) if t.job == JOB_CONTROL_PLANE]
    assert [(t.node, t.address, t.port) for t in targets] == [
        ("cp-a", "127.1.1.10", 8080), ("cp-b", "127.1.1.11", 8080), ("cp-c", "127.1.1.10", 8090)]


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ('[[control_plane.replicas]]\nname = "cp-a"\naddress = "127.1.1.12"\n',
         "replica name 'cp-a' appears twice"),
        ('[[control_plane.replicas]]\nname = "cp-b"\naddress = "127.1.1.10"\nport = 8090\n',
         r"control plane cp-b \(sip\): 127.1.1.10:5080 is also used by control plane cp-a"),
        ('[[control_plane.replicas]]\nname = "cp-b"\naddress = "127.1.1.10"\nsip_port = 5090\n',
         r"control plane cp-b \(http\): 127.1.1.10:8080 is also used by control plane cp-a"),
        ('[[control_plane.replicas]]\nname = "p"\naddress = "127.1.1.12"\n',
         "also a node's name"),
        ('[[control_plane.replicas]]\nname = "cp-b"\naddress = "127.1.1.12"\n'
         'center_numbers = "^1$"\n', "center_numbers is shared"),
        ('[[control_plane.replicas]]\naddress = "127.1.1.12"\n', "missing field 'name'"),
        ('[[control_plane.replicas]]\nname = "cp b"\naddress = "127.1.1.12"\n',
         r"must match \[A-Za-z0-9_.-\]\+"),
        ('[[control_plane.replicas]]\nname = "cp-b"\naddress = "nowhere"\n', "not an IP"),
    ],
)
def test_bad_replicas_are_refused_with_the_reason(extra: str, message: str) -> None:
    with pytest.raises(TopologyError, match=message):
        parse_topology(BASE + extra)
