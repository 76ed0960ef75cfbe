"""Per-node configuration: role define, per-node values, dispatcher sets, peers."""

from __future__ import annotations

from pathlib import Path

import pytest

from control_plane.topology.model import parse_topology
from control_plane.topology.render import (
    KAMAILIO_CFG,
    RenderError,
    SiteSecrets,
    dispatcher_list,
    node_header,
    peer_addresses,
    write_node,
    write_rtpengine,
)
from tests.support import DEMO_TOPOLOGY


@pytest.fixture
def topo():
    return parse_topology(DEMO_TOPOLOGY.read_text()).relocated("127.210.3")


def test_header_selects_the_role_and_includes_the_one_cfg(topo, tmp_path: Path) -> None:
    city = topo.node("city-1")
    text = node_header(city, topo, tmp_path, _secrets(tmp_path))
    assert "#!define WITH_CITY\n" in text
    assert "WITH_PROVINCE" not in text
    assert f'#!substdef "!MY_SIP_IP!{city.address}!g"' in text
    assert text.rstrip().endswith(f'include_file "{KAMAILIO_CFG}"')


def test_cfg_hard_codes_no_address() -> None:
    import re

    cfg = KAMAILIO_CFG.read_text()
    code = "\n".join(line for line in cfg.splitlines() if not line.lstrip().startswith("#"))
    assert not re.search(r"\b\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}\b", code)


def _secrets(tmp: Path) -> SiteSecrets:
    return SiteSecrets(credentials_db=tmp / "cc.sqlite", auth_secret="abc123")


def test_edges_dispatch_to_their_parents(topo) -> None:
    county = topo.node("county-1")
    city = topo.node("city-1")
    lines = [ln for ln in dispatcher_list(county, topo).splitlines() if not ln.startswith("#")]
    assert lines == [f"1 sip:{city.address}:{city.sip_port} 0 0 name=city-1"]
    lines = [ln for ln in dispatcher_list(city, topo).splitlines() if not ln.startswith("#")]
    assert [ln.split()[1] for ln in lines] == [
        f"sip:{topo.node(p).address}:5060" for p in reversed(city.parents)]


def test_peers_are_parents_children_and_controllers(topo) -> None:
    city = topo.node("city-1")
    peers = set(peer_addresses(city, topo))
    assert peers == {topo.node("prov-a").address, topo.node("prov-b").address,
                     topo.node("county-1").address, topo.control_plane.address}


def test_province_pair_replicates_with_dmq_and_reads_credentials(topo, tmp_path: Path) -> None:
    a, b = topo.node("prov-a"), topo.node("prov-b")
    text = node_header(a, topo, tmp_path, _secrets(tmp_path))
    assert "#!define WITH_PROVINCE\n" in text and "#!define WITH_DMQ\n" in text
    assert f'"!DMQ_PEER!{b.address}:{b.sip_port}!g"' in text
    assert f'"!AUTH_DB_URL!sqlite:///{(tmp_path / "cc.sqlite").resolve()}!g"' in text
    assert '"!AUTH_SECRET!abc123!g"' in text
    edge = node_header(topo.node("city-1"), topo, tmp_path, _secrets(tmp_path))
    assert "AUTH_SECRET" not in edge and "WITH_DMQ" not in edge
    assert f'"!CORE_PAIR_HOST!core.{topo.domain}!g"' in edge


def test_write_node_and_rtpengine(topo, tmp_path: Path) -> None:
    files = write_node(topo.node("county-1"), topo, tmp_path, _secrets(tmp_path))
    assert files.cfg.is_file() and (files.directory / "dispatcher.list").is_file()
    assert str(files.rpc_socket) in files.kamcli_ini.read_text()
    conf = write_rtpengine(topo, tmp_path).read_text()
    assert "table = -1" in conf and "recording-method = pcap" in conf
    assert f"listen-ng = {topo.rtpengine.address}:{topo.rtpengine.ng_port}" in conf


def test_too_long_run_dir_is_refused(topo, tmp_path: Path) -> None:
    with pytest.raises(RenderError, match="too long"):
        write_node(topo.node("prov-a"), topo, tmp_path / ("x" * 120), _secrets(tmp_path))


def test_limits_become_defines_before_the_shared_cfg(tmp_path: Path) -> None:
    from dataclasses import replace

    topo = replace(parse_topology(DEMO_TOPOLOGY.read_text()), limits=(("SRC_PPS", 5000),))
    text = node_header(topo.node("city-1"), topo, tmp_path, _secrets(tmp_path))
    assert text.index("#!define SRC_PPS 5000") < text.index("include_file")
    assert "#!ifndef SRC_PPS" in KAMAILIO_CFG.read_text()


def test_cores_hide_topology_toward_carriers_listed_in_dispatcher_set_2(topo, tmp_path: Path
                                                                       ) -> None:
    core = topo.node("prov-a")
    text = node_header(core, topo, tmp_path, _secrets(tmp_path))
    assert "#!define WITH_CARRIERS" in text
    carrier = topo.carriers[0]
    assert f'"!CARRIER_ADDRS!{carrier.address}!g"' in text
    assert f"2 sip:{carrier.address}:5060 0 0 name=pstn-gw" in dispatcher_list(core, topo)
    assert "WITH_CARRIERS" not in node_header(topo.node("city-1"), topo, tmp_path,
                                              _secrets(tmp_path))
