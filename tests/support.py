"""Helpers shared by the test layers: private loopback ranges, SIPp runs, raw SIP."""

from __future__ import annotations

import json
import socket
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from control_plane.runtime import probes
from control_plane.topology.addresses import free_prefix
from control_plane.topology.model import Topology
from control_plane.topology.render import REPO_ROOT
from loadtests.sippctl import (
    SIPP_DIR,
    SippResult,
    answering_seat,
    place_calls,
    register_seat,
    run_sipp,
    seat_accounts,
    write_seats,
)

__all__ = [
    "DEMO_TOPOLOGY", "SIPP_DIR", "SippResult", "answering_seat", "eventually", "free_prefix",
    "place_calls", "register_seat", "run_sipp", "seat_accounts", "seat_ip", "write_seats",
]

DEMO_TOPOLOGY = REPO_ROOT / "control_plane" / "topology" / "demo.toml"

T = TypeVar("T")


def eventually(fetch: Callable[[], T | None], timeout: float = 10.0) -> T:
    """Poll ``fetch`` until it returns something truthy; that value. AssertionError after
    ``timeout`` seconds (a bound on waiting, not a timing assertion)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = fetch()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"not reached within {timeout:.0f} s")


def seat_ip(topo: Topology, host: int) -> str:
    """Address ``host`` in the stack's own loopback range, for a simulated seat."""
    return topo.nodes[0].address.rsplit(".", 1)[0] + f".{host}"


def send_raw(address: str, port: int, payload: bytes, proto: str = "udp",
             timeout: float = 0.3) -> bytes:
    """Send bytes as they are; return whatever comes back within ``timeout``."""
    kind = socket.SOCK_DGRAM if proto == "udp" else socket.SOCK_STREAM
    with socket.socket(socket.AF_INET, kind) as sock:
        sock.settimeout(timeout)
        try:
            sock.connect((address, port))
            sock.sendall(payload)
            return sock.recv(65535)
        except (TimeoutError, ConnectionError):
            return b""


def relocated_demo(prefix: str) -> Topology:
    """The demo topology moved to a loopback range of the test's own."""
    from control_plane.topology.model import load_topology

    return load_topology(DEMO_TOPOLOGY).relocated(prefix)


def dispatcher_flags(address: str, http_port: int) -> dict[str, str]:
    """``{destination name: FLAGS}`` of a node's dispatcher (``AP`` = active, probing)."""
    reply = probes.kamailio_rpc(address, http_port, "dispatcher.list")
    flags: dict[str, str] = {}
    for record in reply.get("RECORDS", []):
        for target in record["SET"]["TARGETS"]:
            dest = target["DEST"]
            name = str(dest["ATTRS"]["BODY"]).removeprefix("name=")
            flags[name] = str(dest["FLAGS"])
    return flags


def operator_token(address: str, port: int, run_dir: Path) -> str:
    """Log in as the run's operator super-admin (its password is in the run dir)."""
    password = (run_dir / "operator_password").read_text().strip()
    body = json.dumps({"username": "operator", "password": password}).encode()
    request = urllib.request.Request(
        f"http://{address}:{port}/api/v1/auth/login", data=body, method="POST",
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as reply:
        token: str = json.loads(reply.read())["token"]
    return token


def two_replica_demo(prefix: str) -> Topology:
    """The relocated demo with two control-plane replicas, ``cp-1`` and ``cp-2`` (one
    center: the failover tests kill one of them)."""
    from dataclasses import replace

    from control_plane.topology.control_planes import ControlPlaneNode

    topo = relocated_demo(prefix)
    base = topo.nodes[0].address.rsplit(".", 1)[0]
    first = replace(topo.control_plane, name="cp-1")
    second = ControlPlaneNode(name="cp-2", address=f"{base}.8", port=first.port + 10,
                              sip_port=first.sip_port, center_numbers=first.center_numbers)
    return replace(topo, control_plane=first, control_plane_replicas=(second,))
