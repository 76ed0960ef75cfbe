"""Seats register through the edges and land in the province registrar with their Path."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from control_plane.runtime import probes
from control_plane.topology.model import Role
from tests.conftest import RunningStack
from tests.support import SIPP_DIR, eventually, run_sipp, seat_accounts, write_seats


def _contacts(stack: RunningStack) -> dict[str, dict[str, Any]]:
    prov = stack.topo.by_role(Role.PROVINCE)[0]
    dump = probes.kamailio_rpc(prov.rpc_address, prov.http_port, "ul.dump")
    out: dict[str, dict[str, Any]] = {}
    for aor in dump["Domains"][0]["Domain"]["AoRs"]:
        info = aor["Info"]
        out[info["AoR"].split("@")[0]] = info["Contacts"][0]["Contact"]
    return out


def _register(stack: RunningStack, edge_name: str, users: list[str], tmp: Path,
              hold_ms: int) -> None:
    edge = stack.topo.node(edge_name)
    seat_ip = edge.address.rsplit(".", 1)[0] + ".120"
    accounts = seat_accounts(users, stack.topo.domain)
    stack.stack.add_seats(accounts)
    seats = write_seats(tmp / "seats.csv", accounts)
    result = run_sipp(
        f"{edge.address}:{edge.sip_port}", SIPP_DIR / "register.xml", seat_ip, tmp,
        "-inf", str(seats), "-set", "expires", "120", "-d", str(hold_ms),
        "-r", "10", calls=len(users), timeout=30 + hold_ms / 1000,
    )
    assert result.failed == 0 and result.successful == len(users), result.output


@pytest.mark.parametrize("role", [Role.PROVINCE, Role.CITY, Role.COUNTY])
def test_every_node_answers_options(tiers: RunningStack, role: Role) -> None:
    for node in tiers.topo.by_role(role):
        assert probes.sip_options(node.address, node.sip_port) is None


def test_seat_via_county_is_in_province_registrar_with_both_edges_in_path(
    tiers: RunningStack, tmp_path: Path
) -> None:
    county = tiers.topo.by_role(Role.COUNTY)[0]
    city = tiers.topo.node(county.parents[0])
    # Register and keep the registration while we look (unregister happens after 0 ms
    # otherwise): run SIPp in the background of this check with a long hold.
    proc = _background_register(tiers, county.name, ["seat3101"], tmp_path, hold_ms=8000)
    try:
        contact = eventually(lambda: _contacts(tiers).get("seat3101"))
        path = contact["Path"]
        assert path.index(f"sip:{city.address}") < path.index(f"sip:{county.address}"), path
        seat_ip = county.address.rsplit(".", 1)[0] + ".120"
        assert f"received=sip:{seat_ip}:5060" in path, path
        assert contact["Address"] == f"sip:seat3101@{seat_ip}:5060"
        kamcli = _kamcli(tiers, "ul", "show")
        assert "seat3101" in kamcli
    finally:
        proc.wait(timeout=30)
    assert proc.returncode == 0, (tmp_path / "errors.log").read_text(errors="replace") \
        if (tmp_path / "errors.log").exists() else proc.returncode
    # The scenario ends with Expires: 0: the seat is gone from the registrar.
    assert "seat3101" not in _contacts(tiers)


def test_second_seat_through_city_only(tiers: RunningStack, tmp_path: Path) -> None:
    city = tiers.topo.by_role(Role.CITY)[0]
    proc = _background_register(tiers, city.name, ["seat3201"], tmp_path, hold_ms=8000)
    try:
        contact = eventually(lambda: _contacts(tiers).get("seat3201"))
        path = contact["Path"]
        assert path.count("sip:") == 2, path  # the city's own entry and its received=
        assert f"sip:{city.address};lr;received=" in path, path
    finally:
        proc.wait(timeout=30)
    assert proc.returncode == 0


def test_many_seats_register_and_unregister_cleanly(tiers: RunningStack, tmp_path: Path) -> None:
    users = [f"seat4{i:03d}" for i in range(20)]
    _register(tiers, tiers.topo.by_role(Role.COUNTY)[0].name, users, tmp_path, hold_ms=0)
    assert not set(users) & set(_contacts(tiers))


def _background_register(stack: RunningStack, edge_name: str, users: list[str], tmp: Path,
                         hold_ms: int) -> subprocess.Popen[bytes]:
    edge = stack.topo.node(edge_name)
    seat_ip = edge.address.rsplit(".", 1)[0] + ".120"
    accounts = seat_accounts(users, stack.topo.domain)
    stack.stack.add_seats(accounts)
    seats = write_seats(tmp / "seats.csv", accounts)
    argv = [
        "sipp", f"{edge.address}:{edge.sip_port}", "-sf", str(SIPP_DIR / "register.xml"),
        "-i", seat_ip, "-p", "5060", "-m", str(len(users)), "-nostdin",
        "-inf", str(seats), "-set", "expires", "120", "-d", str(hold_ms),
        "-trace_err", "-error_file", str(tmp / "errors.log"), "-timeout", "40s",
    ]
    return subprocess.Popen(argv, cwd=tmp, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _kamcli(stack: RunningStack, *args: str) -> str:
    prov = stack.topo.by_role(Role.PROVINCE)[0]
    ini = stack.stack.run_dir / prov.name / "kamcli.ini"
    proc = subprocess.run(["kamcli", "-c", str(ini), *args], capture_output=True, timeout=20,
                          check=False)
    text = proc.stdout.decode(errors="replace")
    assert proc.returncode == 0, proc.stderr.decode(errors="replace")
    # kamcli prints a banner line before the JSON document it got from the node.
    json.loads(text[text.index("{"):])
    return text
