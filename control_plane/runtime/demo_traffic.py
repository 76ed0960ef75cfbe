"""Live traffic for ``make demo``: SIPp seats that register and call, all the time.

Seats register through the last edge in a loop (register, hold, unregister), and another
seat calls external numbers through its edge, the core pair and the carrier, one call
every few seconds, so the demo's metrics, registrar and carrier log always move.
"""

from __future__ import annotations

import secrets
from pathlib import Path

from control_plane.db.credentials import SeatAccount
from control_plane.runtime.stack import add_seats, sipp_seat_row
from control_plane.runtime.supervisor import DaemonSpec
from control_plane.topology.model import Role, Topology
from control_plane.topology.render import REPO_ROOT, SiteSecrets

SIPP_DIR = REPO_ROOT / "loadtests" / "sipp"
DEMO_TENANT = "demo"


def _seat_rows(directory: Path, site: SiteSecrets, users: list[str], domain: str) -> Path:
    accounts = [SeatAccount(DEMO_TENANT, u, domain, secrets.token_hex(8)) for u in users]
    add_seats(site, accounts)
    rows = directory / "seats.csv"
    rows.write_text("SEQUENTIAL\n" + "".join(sipp_seat_row(a) + "\n" for a in accounts),
                    encoding="utf-8")
    return rows


def _sipp(name: str, directory: Path, argv: tuple[str, ...]) -> DaemonSpec:
    return DaemonSpec(
        name=name, kind="sipp",
        argv=(*argv, "-nostdin", "-trace_err", "-error_file", str(directory / "errors.log")),
        directory=directory, ready=lambda: None, package="sip-tester",
    )


def seat_traffic_spec(topo: Topology, run_dir: Path, site: SiteSecrets,
                      seats_per_edge: int = 5) -> DaemonSpec:
    """Live traffic for the demo: SIPp seats registering through every edge, in a loop."""
    directory = (run_dir / "seat-traffic").resolve()
    directory.mkdir(parents=True, exist_ok=True)
    edges = [n for n in topo.nodes if n.role is not Role.PROVINCE]
    target = edges[-1] if edges else topo.nodes[0]
    seats = _seat_rows(directory, site, [f"seat{2000 + i}" for i in range(seats_per_edge)],
                       topo.domain)
    # Seats come from their own address beside the edge's, as a branch's phones would.
    seat_ip = target.address.rsplit(".", 1)[0] + ".100"
    argv = (
        "sipp", f"{target.address}:{target.sip_port}", "-sf", str(SIPP_DIR / "register.xml"),
        "-inf", str(seats), "-set", "expires", "60", "-d", "20000",
        "-r", "1", "-l", str(seats_per_edge), "-i", seat_ip, "-p", "5060",
    )
    return _sipp("seat-traffic", directory, argv)




def call_traffic_spec(topo: Topology, run_dir: Path, site: SiteSecrets) -> DaemonSpec | None:
    """A seat on the first edge calling external numbers through the carrier, every 4 s."""
    edges = [n for n in topo.nodes if n.role is not Role.PROVINCE]
    if not edges or not topo.carriers:
        return None
    directory = (run_dir / "call-traffic").resolve()
    directory.mkdir(parents=True, exist_ok=True)
    edge = edges[0]
    seats = _seat_rows(directory, site, ["caller9000"], topo.domain)
    seat_ip = edge.address.rsplit(".", 1)[0] + ".101"
    argv = (
        "sipp", f"{edge.address}:{edge.sip_port}", "-sf", str(SIPP_DIR / "caller.xml"),
        "-inf", str(seats), "-s", "+8657100000000", "-key", "contact_host", seat_ip,
        "-d", "3000", "-r", "1", "-rp", "4000", "-l", "2", "-i", seat_ip, "-p", "5060",
    )
    return _sipp("call-traffic", directory, argv)


def traffic_specs(topo: Topology, run_dir: Path, site: SiteSecrets) -> list[DaemonSpec]:
    """Every live-traffic generator the demo runs."""
    specs = [seat_traffic_spec(topo, run_dir, site)]
    calls = call_traffic_spec(topo, run_dir, site)
    if calls is not None:
        specs.append(calls)
    return specs
