"""Control-plane replicas of the topology: ``[control_plane]`` and ``[[control_plane.replicas]]``.

The first replica is the ``[control_plane]`` table (as before replicas existed); each further
``[[control_plane.replicas]]`` table names another replica of the same center: its own
addresses and ports, the center's ``center_numbers`` (one center, one shared store). The
province cores list every replica in dispatcher set 3 and trust all of their addresses.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from control_plane.topology.errors import TopologyError

# Fields of a ``[[control_plane.replicas]]`` table: the numbers are the center's, shared.
REPLICA_FIELDS = frozenset({"name", "address", "port", "sip_port"})

# Claims one address:port for a named owner (raises TopologyError when already taken).
Claim = Callable[[str, int, str], None]


@dataclass(frozen=True, slots=True)
class ControlPlaneNode:
    """One control-plane replica: its HTTP API (``port``), RTPengine's DTMF reports
    (``port + 1``) and its call controller's SIP socket (``sip_port``).

    ``center_numbers`` is the regular expression of dialled numbers the province cores
    hand to the call controllers (DIDs and service numbers: IVR, queues, voicemail).
    """

    name: str = "control-plane"
    address: str = "127.0.0.1"
    port: int = 8080
    sip_port: int = 5080
    center_numbers: str = "^4008[0-9]{6}$"

    @property
    def dtmf_port(self) -> int:
        """Where RTPengine sends one datagram per DTMF digit (``--dtmf-log-dest``)."""
        return self.port + 1

    @property
    def sip_uri(self) -> str:
        """The replica's call controller as the cores dispatch to it (set 3)."""
        return f"sip:{self.address}:{self.sip_port}"


def _replica_from(raw: Any, index: int, center_numbers: str) -> ControlPlaneNode:
    where = f"control_plane.replicas #{index + 1}"
    if not isinstance(raw, dict):
        raise TopologyError(f"{where}: must be a table ([[control_plane.replicas]])")
    unknown = set(raw) - REPLICA_FIELDS
    if unknown:
        raise TopologyError(
            f"{where}: unknown field(s) {sorted(unknown)}; a replica has "
            f"{sorted(REPLICA_FIELDS)} (center_numbers is shared by every replica)")
    for required in ("name", "address"):
        if required not in raw:
            raise TopologyError(f"{where}: missing field {required!r}")
    return ControlPlaneNode(
        name=str(raw["name"]), address=str(raw["address"]), port=int(raw.get("port", 8080)),
        sip_port=int(raw.get("sip_port", 5080)), center_numbers=center_numbers,
    )


def parse_control_planes(raw: dict[str, Any]) -> tuple[ControlPlaneNode, ...]:
    """``[control_plane]`` (the first replica) and its ``[[control_plane.replicas]]`` from the
    parsed TOML document ``raw``."""
    table = dict(raw.get("control_plane", {}))
    extra = table.pop("replicas", [])
    if not isinstance(extra, list):
        raise TopologyError("control_plane.replicas: must be an array of tables")
    first = ControlPlaneNode(**table)
    return (first, *(_replica_from(r, i, first.center_numbers) for i, r in enumerate(extra)))


def replicas_toml(replicas: Iterable[ControlPlaneNode]) -> list[str]:
    """TOML lines of the replicas after the first, read back by :func:`parse_control_planes`."""
    out: list[str] = []
    for cp in replicas:
        out += ["[[control_plane.replicas]]", f'name = "{cp.name}"', f'address = "{cp.address}"',
                f"port = {cp.port}", f"sip_port = {cp.sip_port}", ""]
    return out


def validate_control_planes(planes: tuple[ControlPlaneNode, ...], claim: Claim,
                            taken_names: frozenset[str]) -> None:
    """Raise :class:`TopologyError` on duplicate replica names or sockets, a replica named
    like another daemon of the topology (``taken_names``), or unusable center numbers."""
    first = planes[0]
    seen: set[str] = set()
    for replica in planes:
        if replica.name in seen:
            raise TopologyError(f"control_plane: replica name {replica.name!r} appears twice")
        if replica.name in taken_names:
            raise TopologyError(
                f"control_plane: replica name {replica.name!r} is also a node's name")
        if not re.fullmatch(r"[A-Za-z0-9_.-]+", replica.name):
            raise TopologyError(
                f"control_plane: replica name {replica.name!r} must match [A-Za-z0-9_.-]+")
        seen.add(replica.name)
        if replica.center_numbers != first.center_numbers:
            raise TopologyError(
                f"control_plane: replica {replica.name} must serve the first replica's "
                "center_numbers (one center)")
        owner = f"control plane {replica.name}"
        claim(replica.address, replica.port, f"{owner} (http)")
        claim(replica.address, replica.dtmf_port, f"{owner} (dtmf)")
        claim(replica.address, replica.sip_port, f"{owner} (sip)")
    try:
        re.compile(first.center_numbers)
    except re.error as exc:
        raise TopologyError(f"control_plane: center_numbers is not a regex: {exc}") from exc
    if "!" in first.center_numbers or '"' in first.center_numbers:
        raise TopologyError("control_plane: center_numbers may not contain '!' or '\"'")
