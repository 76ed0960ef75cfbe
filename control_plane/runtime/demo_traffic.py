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


def agent_phone_specs(topo: Topology, run_dir: Path, site: SiteSecrets,
                      center: Path) -> list[DaemonSpec]:
    """Every agent of the demo center gets a softphone behind the first edge: one SIPp that
    keeps it registered and, as its out-of-call scenario, answers its calls after two
    seconds of ringing and talks back (RTP echo). One socket for both, as a phone has:
    the edge reaches the seat at the address its REGISTER came from."""
    from control_plane.calls.center import load_center

    edges = [n for n in topo.nodes if n.role is not Role.PROVINCE]
    if not edges:
        return []
    edge = edges[0]
    specs = []
    for index, agent in enumerate(load_center(center).agents):
        directory = (run_dir / f"agent-{agent.seat}").resolve()
        directory.mkdir(parents=True, exist_ok=True)
        account = SeatAccount(agent.tenant, agent.seat, topo.domain, secrets.token_hex(8))
        add_seats(site, [account])
        rows = directory / "seat.csv"
        rows.write_text(f"SEQUENTIAL\n{sipp_seat_row(account)}\n", encoding="utf-8")
        phone_ip = edge.address.rsplit(".", 1)[0] + f".{110 + index}"
        specs.append(_sipp(f"agent-{agent.seat}", directory, (
            "sipp", f"{edge.address}:{edge.sip_port}", "-sf",
            str(SIPP_DIR / "agent_register.xml"), "-oocsf", str(SIPP_DIR / "answer.xml"),
            "-inf", str(rows), "-m", "1", "-set", "expires", "60",
            "-key", "contact_port", "5060", "-i", phone_ip, "-p", "5060",
            "-d", "2000", "-rtp_echo", "-mi", phone_ip,
        )))
    return specs


def center_caller_specs(topo: Topology, run_dir: Path, center: Path) -> list[DaemonSpec]:
    """PSTN callers of the demo center's numbers through the second edge: each presses a
    menu digit and stays up to 25 s (IVR, queue, agent)."""
    from control_plane.calls.center import load_center
    from loadtests.sipp_scenarios import center_caller

    edges = [n for n in topo.nodes if n.role is not Role.PROVINCE]
    if not edges:
        return []
    edge = edges[min(1, len(edges) - 1)]
    specs = []
    for index, number in enumerate(sorted(load_center(center).routes)):
        directory = (run_dir / f"callers-{number}").resolve()
        scenario = center_caller(directory, digit="1", menu_delay_ms=3000, talk_ms=25_000)
        caller_ip = edge.address.rsplit(".", 1)[0] + f".{120 + index}"
        specs.append(_sipp(f"callers-{number}", directory, (
            "sipp", f"{edge.address}:{edge.sip_port}", "-sf", str(scenario),
            "-s", number, "-r", "1", "-rp", "9000", "-l", "3", "-i", caller_ip,
            "-p", "5060", "-mi", caller_ip,
        )))
    return specs


def traffic_specs(topo: Topology, run_dir: Path, site: SiteSecrets,
                  center: Path | None = None) -> list[DaemonSpec]:
    """Every live-traffic generator the demo runs."""
    specs = [seat_traffic_spec(topo, run_dir, site)]
    calls = call_traffic_spec(topo, run_dir, site)
    if calls is not None:
        specs.append(calls)
    if center is not None:
        specs += agent_phone_specs(topo, run_dir, site, center)
        specs += center_caller_specs(topo, run_dir, center)
    return specs
