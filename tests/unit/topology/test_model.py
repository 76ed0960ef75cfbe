"""The topology description: parsing, validation, relocation."""

from __future__ import annotations

import pytest

from control_plane.topology.model import Role, TopologyError, parse_topology
from tests.support import DEMO_TOPOLOGY

BASE = """
domain = "cc.test"
[[node]]
name = "p"
role = "province"
address = "127.1.1.1"
"""


def test_demo_topology_has_the_three_tiers() -> None:
    topo = parse_topology(DEMO_TOPOLOGY.read_text())
    roles = [n.role for n in topo.nodes]
    assert roles == [Role.PROVINCE, Role.PROVINCE, Role.CITY, Role.COUNTY, Role.COUNTY]
    assert topo.node("city-1").parents == ("prov-a", "prov-b")
    # One county under its city, one directly under the province pair.
    assert topo.node("county-2").parents == ("prov-a", "prov-b")
    county = topo.by_role(Role.COUNTY)[0]
    assert topo.node(county.parents[0]).role is Role.CITY


def test_relocation_moves_every_address_and_keeps_the_shape() -> None:
    topo = parse_topology(DEMO_TOPOLOGY.read_text())
    moved = topo.relocated("127.200.7")
    addrs = {n.address for n in moved.nodes} | {moved.rtpengine.address,
                                                moved.control_plane.address}
    assert all(a.startswith("127.200.7.") for a in addrs)
    assert [n.parents for n in moved.nodes] == [n.parents for n in topo.nodes]
    assert not addrs & ({n.address for n in topo.nodes} | {topo.control_plane.address})


def test_toml_round_trip() -> None:
    topo = parse_topology(DEMO_TOPOLOGY.read_text()).relocated("127.201.1")
    assert parse_topology(topo.to_toml()) == topo


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ('[[node]]\nname = "c"\nrole = "city"\naddress = "127.1.1.2"\n', "needs at least one"),
        ('[[node]]\nname = "c"\nrole = "city"\naddress = "127.1.1.2"\nparents = ["x"]\n',
         "not defined"),
        ('[[node]]\nname = "p"\nrole = "city"\naddress = "127.1.1.2"\nparents = ["p"]\n',
         "appears twice"),
        ('[[node]]\nname = "c"\nrole = "city"\naddress = "127.1.1.1"\nparents = ["p"]\n',
         "also used by"),
        ('[[node]]\nname = "c"\nrole = "mayor"\naddress = "127.1.1.2"\n', "role must be"),
        ('[[node]]\nname = "c"\nrole = "city"\naddress = "not-ip"\nparents = ["p"]\n',
         "not an IP"),
        ('[[node]]\nname = "c"\nrole = "city"\naddress = "127.1.1.2"\nparents = ["p"]\n'
         'http_address = "8.8.8.8"\n', "public"),
        ('[[node]]\nname = "c"\nrole = "city"\naddress = "127.1.1.2"\nparents = ["p"]\n'
         '[[node]]\nname = "k"\nrole = "county"\naddress = "127.1.1.3"\nparents = ["k2"]\n'
         '[[node]]\nname = "k2"\nrole = "county"\naddress = "127.1.1.4"\nparents = ["c"]\n',
         "cannot hang under"),
        ('[[node]]\nname = "c"\nrole = "city"\naddress = "127.1.1.2"\nparents = ["p"]\n'
         "colour = 3\n", "unknown field"),
    ],
)
def test_inconsistent_topologies_are_refused_with_the_reason(extra: str, message: str) -> None:
    with pytest.raises(TopologyError, match=message):
        parse_topology(BASE + extra)


def test_a_county_may_hang_directly_under_the_province() -> None:
    topo = parse_topology(
        BASE + '[[node]]\nname = "k"\nrole = "county"\naddress = "127.1.1.3"\nparents = "p"\n'
    )
    assert topo.node("k").parents == ("p",)


def test_no_province_is_refused() -> None:
    with pytest.raises(TopologyError, match="no province"):
        parse_topology('domain = "x"\n')


def test_bad_toml_is_named() -> None:
    with pytest.raises(TopologyError, match="not valid TOML"):
        parse_topology("[[node]", "mine.toml")


def test_limits_override_cfg_tunables_and_unknown_ones_are_refused() -> None:
    topo = parse_topology(BASE + "[limits]\nSEAT_MAX_CALLS = 9\n")
    assert topo.limits == (("SEAT_MAX_CALLS", 9),)
    assert parse_topology(topo.to_toml()).limits == topo.limits
    with pytest.raises(TopologyError, match="unknown 'SPEED'"):
        parse_topology(BASE + "[limits]\nSPEED = 9\n")
    with pytest.raises(TopologyError, match="positive"):
        parse_topology(BASE + "[limits]\nSRC_PPS = 0\n")


def test_carriers_are_parsed_relocated_and_claimed() -> None:
    topo = parse_topology(DEMO_TOPOLOGY.read_text())
    assert [c.name for c in topo.carriers] == ["pstn-gw"]
    moved = topo.relocated("127.220.1")
    assert moved.carriers[0].address.startswith("127.220.1.")
    assert parse_topology(moved.to_toml()).carriers == moved.carriers
    with pytest.raises(TopologyError, match="carrier c1"):
        parse_topology(BASE + '[[carrier]]\nname = "c1"\naddress = "127.1.1.1"\n')
