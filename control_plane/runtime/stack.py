"""The whole center as daemons: Kamailio tiers, RTPengine, control plane, live traffic.

:func:`stack_specs` turns a topology and a run dir into daemon specs in start order
(parents before children); :class:`Stack` starts them with the supervisor, records what it
started in ``<run_dir>/stack.json`` (read by ``callcenter status``), and stops them all.
"""

from __future__ import annotations

import json
import secrets
import sys
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from functools import partial
from pathlib import Path

from control_plane.db.credentials import SeatAccount
from control_plane.db.operator import ensure_agent_users, ensure_operator
from control_plane.runtime import probes
from control_plane.runtime.supervisor import Daemon, DaemonSpec, PortClaim, Supervisor
from control_plane.topology.model import Carrier, KamailioNode, Role, Topology
from control_plane.topology.render import REPO_ROOT, SiteSecrets, write_node, write_rtpengine

STATE_FILE = "stack.json"

# Start order: a node's parents must answer before its dispatcher probes them.
_ROLE_ORDER = {Role.PROVINCE: 0, Role.CITY: 1, Role.COUNTY: 2}


@dataclass(frozen=True, slots=True)
class Endpoint:
    """How ``callcenter status`` reaches one daemon of a running stack."""

    name: str
    kind: str
    address: str
    port: int
    http_port: int
    pid: int
    log: str

    def probe(self) -> str | None:
        """None when healthy, else the reason."""
        return probe_for(self.kind, self.address, self.port, self.http_port)()


def probe_for(kind: str, address: str, port: int, http_port: int) -> Callable[[], str | None]:
    """The readiness/health probe of one kind of daemon."""
    if kind == "kamailio":
        return partial(_kamailio_ready, address, port, http_port)
    if kind == "rtpengine":
        return partial(probes.rtpengine_ping, address, port)
    if kind == "control-plane":
        return partial(probes.http_ok, f"http://{address}:{port}/healthz")
    if kind == "carrier-sim":
        return partial(probes.sip_options, address, port)
    return lambda: None


def _kamailio_ready(address: str, sip_port: int, http_port: int) -> str | None:
    return probes.sip_options(address, sip_port) or probes.kamailio_rpc_ready(address, http_port)


def site_secrets(run_dir: Path) -> SiteSecrets:
    """The run's credentials database (schema ensured) and the cores' shared nonce secret.

    The secret is made once per run dir and kept (0600), so restarted cores still accept
    the nonces they handed out before.
    """
    from control_plane.db.engine import make_engine, upgrade_schema

    run_dir.mkdir(parents=True, exist_ok=True)
    db = (run_dir / "callcenter.sqlite").resolve()
    engine = make_engine(f"sqlite:///{db}")
    upgrade_schema(engine)
    engine.dispose()
    secret_file = run_dir / "auth_secret"
    if not secret_file.exists():
        secret_file.touch(mode=0o600)
        secret_file.write_text(secrets.token_hex(16), encoding="utf-8")
    return SiteSecrets(credentials_db=db, auth_secret=secret_file.read_text().strip())


def write_topology(topo: Topology, run_dir: Path) -> Path:
    """The topology this run uses, for the processes it starts (the control plane)."""
    path = (run_dir / "topology.toml").resolve()
    path.write_text(topo.to_toml(), encoding="utf-8")
    return path


KAMAILIO_SQLITE_SCHEMA = Path("/usr/share/kamailio/db_sqlite")


def _ensure_topos_db(path: Path) -> None:
    """The core's own topology-hiding state (per core: the carrier talks to one core)."""
    import sqlite3

    if path.exists():
        return
    with sqlite3.connect(path) as db:
        for part in ("standard-create.sql", "topos-create.sql"):
            db.executescript((KAMAILIO_SQLITE_SCHEMA / part).read_text())


def kamailio_spec(node: KamailioNode, topo: Topology, run_dir: Path,
                  site: SiteSecrets) -> DaemonSpec:
    """Kamailio in the foreground for one node, with its own run dir and pid file."""
    files = write_node(node, topo, run_dir, site)
    if node.role is Role.PROVINCE and topo.carriers:
        _ensure_topos_db(files.directory / "topos.sqlite")
    # Shared memory holds every open transaction: a storm of 10,000 re-registrations needs
    # hundreds of MB on each hop (64 MB, Kamailio's default, runs out under SIPp load).
    shm_mb = "1024" if node.role is Role.PROVINCE else "512"
    argv = (
        "kamailio", "-f", str(files.cfg), "-DD", "-E",
        "-Y", str(files.directory), "-P", str(files.directory / "kamailio.pid"),
        "-w", str(files.directory), "-m", shm_mb, "-M", "16",
    )
    return DaemonSpec(
        name=node.name, kind="kamailio", argv=argv, directory=files.directory,
        ready=probe_for("kamailio", node.address, node.sip_port, node.http_port),
        ports=(
            PortClaim("udp", node.address, node.sip_port),
            PortClaim("tcp", node.address, node.sip_port),
            PortClaim("tcp", node.rpc_address, node.http_port),
            *((PortClaim("tcp", node.rpc_address, node.evapi_port),)
              if node.role is Role.PROVINCE else ()),
        ),
        package="kamailio",
    )


def rtpengine_spec(topo: Topology, run_dir: Path) -> DaemonSpec:
    """RTPengine, userspace, with our own rendered config."""
    conf = write_rtpengine(topo, run_dir)
    rtp = topo.rtpengine
    argv = (
        "rtpengine", f"--config-file={conf}", "--config-section=rtpengine",
        f"--pidfile={conf.parent / 'rtpengine.pid'}",
    )
    return DaemonSpec(
        name=rtp.name, kind="rtpengine", argv=argv, directory=conf.parent,
        ready=probe_for("rtpengine", rtp.address, rtp.ng_port, rtp.http_port),
        ports=(PortClaim("udp", rtp.address, rtp.ng_port), PortClaim("tcp", rtp.address,
                                                                    rtp.http_port)),
        package="rtpengine-daemon",
    )


DEMO_CENTER = REPO_ROOT / "control_plane" / "calls" / "demo_center.toml"


def _demo_agent_logins(run_dir: Path, site: SiteSecrets, center: Path) -> None:
    """The center's agents in the configuration database, each with a desk login."""
    from control_plane.calls.center import load_center
    from control_plane.calls.center_db import seed_of
    from control_plane.db.engine import make_engine
    from control_plane.db.repos.center_seed import seed_center

    engine = make_engine(f"sqlite:///{site.credentials_db}")
    try:
        ids = seed_center(engine, seed_of(load_center(center)))
    finally:
        engine.dispose()
    ensure_agent_users(run_dir, site.credentials_db, ids)


def control_plane_spec(topo: Topology, run_dir: Path, site: SiteSecrets,
                       center: Path | None = None) -> DaemonSpec:
    """The control plane (aiohttp) as a child process of the current interpreter."""
    cp = topo.control_plane
    directory = (run_dir / cp.name).resolve()
    ensure_operator(run_dir, site.credentials_db)
    _demo_agent_logins(run_dir, site, center or DEMO_CENTER)
    return DaemonSpec(
        name=cp.name, kind="control-plane",
        argv=(sys.executable, "-m", "control_plane", "serve"),
        directory=directory,
        ready=probe_for("control-plane", cp.address, cp.port, cp.port),
        ports=(PortClaim("tcp", cp.address, cp.port), PortClaim("udp", cp.address, cp.sip_port),
               PortClaim("udp", cp.address, cp.dtmf_port)),
        env={"CC_API__HOST": cp.address, "CC_API__PORT": str(cp.port),
             "CC_DATABASE__URL": f"sqlite:///{site.credentials_db}",
             "CC_AUTH__TOKEN_SECRET_FILE": str(run_dir.resolve() / "api_token_secret"),
             "CC_RUNTIME__RUN_DIR": str(directory),
             "CC_CALLS__CENTER": str(center or DEMO_CENTER),
             # Prompts are the same for every run: synthesised once per checkout.
             "CC_CALLS__PROMPTS_DIR": str(REPO_ROOT / "var" / "prompts"),
             "CC_CALLS__RECORDINGS_SPOOL": str(
                 (run_dir / topo.rtpengine.name / "recordings").resolve()),
             "CC_RUNTIME__TOPOLOGY": str(write_topology(topo, run_dir)),
             "PYTHONPATH": str(REPO_ROOT)},
    )


def add_seats(site: SiteSecrets, accounts: Iterable[SeatAccount]) -> None:
    """Give seats SIP credentials in the run's database (the registrar reads them live)."""
    from control_plane.db.credentials import set_seat_passwords
    from control_plane.db.engine import make_engine

    engine = make_engine(f"sqlite:///{site.credentials_db}")
    try:
        set_seat_passwords(engine, accounts)
    finally:
        engine.dispose()


def sipp_seat_row(account: SeatAccount) -> str:
    """One row of a SIPp injection file for the seat scenarios: user;domain;credentials."""
    return (f"{account.username};{account.domain};"
            f"[authentication username={account.username} password={account.password}]")


def carrier_spec(carrier: Carrier, run_dir: Path) -> DaemonSpec:
    """A simulated carrier (PSTN gateway) at the carrier's address, for demo and tests."""
    directory = (run_dir / carrier.name).resolve()
    directory.mkdir(parents=True, exist_ok=True)
    return DaemonSpec(
        name=carrier.name, kind="carrier-sim",
        argv=(sys.executable, "-m", "loadtests.carrier_sim", "--host", carrier.address,
              "--port", str(carrier.port), "--log", str(directory / "invites.jsonl")),
        directory=directory,
        ready=partial(probes.sip_options, carrier.address, carrier.port),
        ports=(PortClaim("udp", carrier.address, carrier.port),),
        env={"PYTHONPATH": str(REPO_ROOT)},
    )


def stack_specs(topo: Topology, run_dir: Path, live_traffic: bool = False, *,
                control_plane: bool = True) -> list[DaemonSpec]:
    """Every daemon of the center in start order (simulated carriers first: the cores
    probe them from the start). Without ``control_plane`` the caller runs the control
    plane's parts itself (a test driving the call controller in its own event loop)."""
    site = site_secrets(run_dir)
    nodes = sorted(topo.nodes, key=lambda n: _ROLE_ORDER[n.role])
    specs = [carrier_spec(c, run_dir) for c in topo.carriers]
    specs += [kamailio_spec(n, topo, run_dir, site) for n in nodes]
    specs.append(rtpengine_spec(topo, run_dir))
    if control_plane:
        specs.append(control_plane_spec(topo, run_dir, site))
    if live_traffic:
        from control_plane.runtime.demo_traffic import traffic_specs

        specs += traffic_specs(topo, run_dir, site, DEMO_CENTER if control_plane else None)
    return specs


def _endpoint(daemon: Daemon, topo: Topology) -> Endpoint:
    spec = daemon.spec
    if spec.kind == "kamailio":
        node = topo.node(spec.name)
        address, port, http_port = node.address, node.sip_port, node.http_port
    elif spec.kind == "rtpengine":
        rtp = topo.rtpengine
        address, port, http_port = rtp.address, rtp.ng_port, rtp.http_port
    elif spec.kind == "control-plane":
        cp = topo.control_plane
        address, port, http_port = cp.address, cp.port, cp.port
    elif spec.kind == "carrier-sim":
        carrier = next(c for c in topo.carriers if c.name == spec.name)
        address, port, http_port = carrier.address, carrier.port, 0
    else:
        address, port, http_port = "", 0, 0
    return Endpoint(spec.name, spec.kind, address, port, http_port, daemon.pid,
                    str(spec.log_path))


class Stack:
    """A running center: start it, inspect it, stop it."""

    def __init__(self, topo: Topology, run_dir: Path, supervisor: Supervisor | None = None,
                 live_traffic: bool = False, *, control_plane: bool = True) -> None:
        self.topo = topo
        self.control_plane = control_plane
        self.run_dir = run_dir.resolve()
        self.supervisor = supervisor or Supervisor()
        self.live_traffic = live_traffic

    def start(self) -> list[Endpoint]:
        """Start every daemon (stopping all of them again if one fails) and record them."""
        self.run_dir.mkdir(parents=True, exist_ok=True)
        specs = stack_specs(self.topo, self.run_dir, self.live_traffic,
                            control_plane=self.control_plane)
        daemons = self.supervisor.start_all(specs)
        self._write_state()
        return [_endpoint(d, self.topo) for d in daemons]

    def daemon(self, name: str) -> Daemon:
        """The running daemon called ``name``."""
        for daemon in self.supervisor.daemons:
            if daemon.spec.name == name:
                return daemon
        raise KeyError(f"no daemon named {name!r} in this stack")

    def restart(self, name: str, kill: bool = False) -> Daemon:
        """Stop one daemon (SIGKILL when ``kill``, as a crash would) and start it again."""
        import os
        import signal

        old = self.daemon(name)
        if kill:
            os.killpg(old.pid, signal.SIGKILL)
            old.process.wait(timeout=10)
        old.stop(self.supervisor.stop_grace)
        self.supervisor.daemons.remove(old)
        new = self.supervisor.start(old.spec)
        self._write_state()
        return new

    def _write_state(self) -> None:
        endpoints = [_endpoint(d, self.topo) for d in self.supervisor.daemons]
        state = {"run_dir": str(self.run_dir), "daemons": [asdict(e) for e in endpoints]}
        (self.run_dir / STATE_FILE).write_text(json.dumps(state, indent=2), encoding="utf-8")

    def add_seats(self, accounts: Iterable[SeatAccount]) -> None:
        """Provision seat credentials in this running stack."""
        add_seats(site_secrets(self.run_dir), accounts)

    def stop(self) -> None:
        """Stop everything this stack started and forget the state file."""
        self.supervisor.stop_all()
        (self.run_dir / STATE_FILE).unlink(missing_ok=True)


def read_state(run_dir: Path) -> list[Endpoint]:
    """The endpoints recorded by a running stack; FileNotFoundError when none runs there."""
    raw = json.loads((run_dir / STATE_FILE).read_text(encoding="utf-8"))
    return [Endpoint(**d) for d in raw["daemons"]]
