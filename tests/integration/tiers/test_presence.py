"""The control plane's seat list equals the registrar's, through events and restarts."""

from __future__ import annotations

import json
import subprocess
import urllib.request
from pathlib import Path

from control_plane.runtime import probes
from control_plane.topology.model import Role
from tests.conftest import RunningStack
from tests.support import (
    SIPP_DIR,
    eventually,
    operator_token,
    register_seat,
    seat_accounts,
    seat_ip,
    write_seats,
)

_tokens: dict[str, str] = {}


def _api_raw(stack: RunningStack) -> list[dict[str, str]]:
    cp = stack.topo.control_plane
    run_dir = stack.stack.run_dir
    if str(run_dir) not in _tokens:
        _tokens[str(run_dir)] = operator_token(cp.address, cp.port, run_dir)
    request = urllib.request.Request(
        f"http://{cp.address}:{cp.port}/api/v1/seats",
        headers={"Authorization": f"Bearer {_tokens[str(run_dir)]}"},
    )
    with urllib.request.urlopen(request, timeout=5) as r:
        seats: list[dict[str, str]] = json.loads(r.read())["seats"]
    return seats


def _api_seats(stack: RunningStack) -> set[tuple[str, str]]:
    return {(s["aor"], s["contact"]) for s in _api_raw(stack)}


def _registrar_seats(stack: RunningStack) -> set[tuple[str, str]]:
    core = stack.topo.by_role(Role.PROVINCE)[0]
    dump = probes.kamailio_rpc(core.rpc_address, core.http_port, "ul.dump")
    return {
        (a["Info"]["AoR"], c["Contact"]["Address"])
        for a in dump["Domains"][0]["Domain"]["AoRs"]
        for c in a["Info"]["Contacts"]
    }


def _in_sync(stack: RunningStack) -> bool:
    return _api_seats(stack) == _registrar_seats(stack)


def test_seat_list_follows_registrations_unregistrations_and_expiry(
    tiers: RunningStack, tmp_path: Path
) -> None:
    accounts = seat_accounts(["pres1", "pres2", "pres3"])
    tiers.stack.add_seats(accounts)
    city, county = tiers.topo.node("city-1"), tiers.topo.node("county-1")
    # pres1 stays (long expiry), pres2 expires on its own, pres3 registers and unregisters.
    assert register_seat(f"{city.address}:5060", accounts[0], seat_ip(tiers.topo, 161),
                         tmp_path, expires=300).successful == 1
    assert register_seat(f"{county.address}:5060", accounts[1], seat_ip(tiers.topo, 162),
                         tmp_path, expires=10).successful == 1
    eventually(lambda: {"pres1@cc.local", "pres2@cc.local"} <= {a for a, _ in
                                                                  _api_seats(tiers)})
    assert _in_sync(tiers)
    seats = write_seats(tmp_path / "p3.csv", accounts[2:])
    cycle = subprocess.Popen(
        ["sipp", f"{county.address}:5060", "-sf", str(SIPP_DIR / "register.xml"),
         "-i", seat_ip(tiers.topo, 163), "-p", "5060", "-m", "1", "-nostdin", "-inf", str(seats),
         "-set", "expires", "120", "-d", "3000", "-timeout", "30s"],
        cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    eventually(lambda: "pres3@cc.local" in {a for a, _ in _api_seats(tiers)})
    assert cycle.wait(timeout=30) == 0
    eventually(lambda: "pres3@cc.local" not in {a for a, _ in _api_seats(tiers)})
    # Expiry is reported by the registrar's timer (10 s minimum registration, 5 s timer).
    eventually(lambda: "pres2@cc.local" not in {a for a, _ in _api_seats(tiers)}, 30)
    assert "pres1@cc.local" in {a for a, _ in _api_seats(tiers)}
    eventually(lambda: _in_sync(tiers))


def test_seat_list_is_rebuilt_after_a_control_plane_restart(
    tiers: RunningStack, tmp_path: Path
) -> None:
    (account,) = seat_accounts(["pres9"])
    tiers.stack.add_seats([account])
    county2 = tiers.topo.node("county-2")
    tiers.stack.restart("control-plane", kill=True)
    # Registered while the new replica is starting up, and seen by it all the same.
    assert register_seat(f"{county2.address}:5060", account, seat_ip(tiers.topo, 164),
                         tmp_path).successful == 1
    eventually(lambda: "pres9@cc.local" in {a for a, _ in _api_seats(tiers)})
    eventually(lambda: _in_sync(tiers))
    (seat,) = [s for s in _api_raw(tiers) if s["aor"] == "pres9@cc.local"]
    assert seat["edge"] == "county-2"
