"""The topology description: which Kamailio nodes exist, their roles, addresses and parents.

One TOML file (``demo.toml`` for ``make demo``) describes provinces, cities and counties;
the per-node configuration is generated from it (see ``render``). Tests load the same file
and move it to a loopback subnet of their own with :meth:`Topology.relocated`.
"""

from __future__ import annotations

import ipaddress
import tomllib
from dataclasses import asdict, dataclass, field, replace
from enum import StrEnum
from pathlib import Path
from typing import Any

from control_plane.topology.control_planes import (
    ControlPlaneNode,
    parse_control_planes,
    replicas_toml,
    validate_control_planes,
)
from control_plane.topology.errors import TopologyError

__all__ = [
    "LIMIT_NAMES", "Carrier", "ControlPlaneNode", "KamailioNode", "Role", "RtpengineNode",
    "Topology", "TopologyError", "load_topology", "parse_topology",
]


# Tunables of kamailio.cfg an operator may set per topology (#!define overrides).
LIMIT_NAMES = frozenset({
    "SEAT_MAX_CALLS", "TENANT_MAX_CALLS", "SRC_PPS", "TENANT_PPS", "AUTH_FAIL_MAX",
    "PIKE_DENSITY", "MAX_MSG_LEN", "MAX_RURI_LEN",
})


class Role(StrEnum):
    """What a Kamailio node does in the tiers (selects ``WITH_<ROLE>`` in kamailio.cfg)."""

    PROVINCE = "province"
    CITY = "city"
    COUNTY = "county"


# Which roles may be the parent of which: a county hangs under a city or the province.
_ALLOWED_PARENTS: dict[Role, frozenset[Role]] = {
    Role.PROVINCE: frozenset(),
    Role.CITY: frozenset({Role.PROVINCE}),
    Role.COUNTY: frozenset({Role.CITY, Role.PROVINCE}),
}


@dataclass(frozen=True, slots=True)
class KamailioNode:
    """One Kamailio process: SIP on ``address:sip_port``, JSON-RPC and metrics on HTTP.

    ``http_address`` must be a loopback or private address: the RPC interface is never
    exposed where seats or carriers can reach it.
    """

    name: str
    role: Role
    address: str
    sip_port: int = 5060
    http_address: str = ""
    http_port: int = 5071
    evapi_port: int = 5072
    parents: tuple[str, ...] = ()

    @property
    def rpc_address(self) -> str:
        """The address the HTTP JSON-RPC and metrics listener binds."""
        return self.http_address or self.address


@dataclass(frozen=True, slots=True)
class Carrier:
    """A SIP trunk (PSTN gateway or operator) attached to the province core pair.

    Calls from seats to external numbers go to the carriers; everything sent to a carrier
    is topology-hidden (topos), and carriers are trusted by address, not by digest.
    """

    name: str
    address: str
    port: int = 5060


@dataclass(frozen=True, slots=True)
class RtpengineNode:
    """The media relay: ng control on UDP, Prometheus metrics on HTTP, an RTP port range."""

    name: str = "rtpengine"
    address: str = "127.0.10.1"
    ng_port: int = 2223
    http_port: int = 2225
    port_min: int = 30000
    port_max: int = 30999


@dataclass(frozen=True, slots=True)
class Topology:
    """The whole center: SIP domain, Kamailio nodes, media relay and control plane.

    ``control_plane`` is the first control-plane replica; ``control_plane_replicas`` are
    the others serving the same center (same ``center_numbers``, one shared store), so
    that the cores can hand a dead replica's dialogs to a live one (DESIGN.md §5).
    """

    domain: str
    nodes: tuple[KamailioNode, ...]
    rtpengine: RtpengineNode = field(default_factory=RtpengineNode)
    control_plane: ControlPlaneNode = field(default_factory=ControlPlaneNode)
    limits: tuple[tuple[str, int], ...] = ()
    carriers: tuple[Carrier, ...] = ()
    control_plane_replicas: tuple[ControlPlaneNode, ...] = ()

    @property
    def control_planes(self) -> tuple[ControlPlaneNode, ...]:
        """Every control-plane replica, the first (``control_plane``) first."""
        return (self.control_plane, *self.control_plane_replicas)

    def node(self, name: str) -> KamailioNode:
        """The node called ``name``; :class:`KeyError` names it when absent."""
        for node in self.nodes:
            if node.name == name:
                return node
        raise KeyError(f"no node named {name!r} in the topology")

    @property
    def core_pair_host(self) -> str:
        """The province pair's logical host name, used in Record-Route instead of a core's
        own address so that either core can take a dialog's later requests."""
        return f"core.{self.domain}"

    def by_role(self, role: Role) -> tuple[KamailioNode, ...]:
        """Every node of one role, in file order."""
        return tuple(n for n in self.nodes if n.role is role)

    def relocated(self, prefix: str) -> Topology:
        """The same topology on another loopback range.

        ``prefix`` is the first three octets (``"127.77.3"``); each distinct address of the
        topology is mapped to ``prefix.<n>`` in order of first appearance, and the control
        plane gets its own address in that range too, so a relocated copy never shares an
        address with the original (tests run beside a running demo).
        """
        mapping: dict[str, str] = {}

        def move(addr: str) -> str:
            if addr not in mapping:
                mapping[addr] = f"{prefix}.{len(mapping) + 1}"
            return mapping[addr]

        nodes = tuple(
            replace(n, address=move(n.address), http_address=move(n.rpc_address))
            for n in self.nodes
        )
        carriers = tuple(replace(c, address=move(c.address)) for c in self.carriers)
        rtpengine = replace(self.rtpengine, address=move(self.rtpengine.address))
        planes = tuple(replace(cp, address=move(cp.address)) for cp in self.control_planes)
        return replace(
            self,
            nodes=nodes,
            carriers=carriers,
            rtpengine=rtpengine,
            control_plane=planes[0],
            control_plane_replicas=planes[1:],
        )

    def to_toml(self) -> str:
        """The topology as TOML that :func:`parse_topology` reads back unchanged."""
        out = [f"domain = {_q(self.domain)}", ""]
        for n in self.nodes:
            out += [
                "[[node]]", f"name = {_q(n.name)}", f"role = {_q(n.role.value)}",
                f"address = {_q(n.address)}", f"sip_port = {n.sip_port}",
                f"http_address = {_q(n.rpc_address)}", f"http_port = {n.http_port}",
                f"evapi_port = {n.evapi_port}",
                "parents = [" + ", ".join(_q(p) for p in n.parents) + "]", "",
            ]
        if self.limits:
            out += ["[limits]", *(f"{k} = {v}" for k, v in self.limits), ""]
        for c in self.carriers:
            out += ["[[carrier]]", f"name = {_q(c.name)}", f"address = {_q(c.address)}",
                    f"port = {c.port}", ""]
        for table, obj in (("rtpengine", self.rtpengine), ("control_plane", self.control_plane)):
            out.append(f"[{table}]")
            for key, value in asdict(obj).items():
                out.append(f"{key} = {_q(value) if isinstance(value, str) else value}")
            out.append("")
        out += replicas_toml(self.control_plane_replicas)
        return "\n".join(out)

    def validate(self) -> None:
        """Raise :class:`TopologyError` on duplicate names/sockets or impossible parents."""
        names: set[str] = set()
        sockets: dict[tuple[str, int], str] = {}

        def claim(addr: str, port: int, owner: str) -> None:
            _check_address(addr, owner)
            key = (addr, port)
            if key in sockets:
                raise TopologyError(f"{owner}: {addr}:{port} is also used by {sockets[key]}")
            sockets[key] = owner

        for node in self.nodes:
            if node.name in names:
                raise TopologyError(f"node name {node.name!r} appears twice")
            names.add(node.name)
            claim(node.address, node.sip_port, f"node {node.name} (sip)")
            claim(node.rpc_address, node.http_port, f"node {node.name} (http)")
            if node.role is Role.PROVINCE:
                claim(node.rpc_address, node.evapi_port, f"node {node.name} (evapi)")
            if not ipaddress.ip_address(node.rpc_address).is_private:
                raise TopologyError(
                    f"node {node.name}: http_address {node.rpc_address} is public; "
                    "JSON-RPC must stay on loopback or a private network"
                )
        for node in self.nodes:
            if node.role is not Role.PROVINCE and not node.parents:
                raise TopologyError(f"node {node.name}: a {node.role} needs at least one parent")
            for parent_name in node.parents:
                if parent_name not in names:
                    raise TopologyError(f"node {node.name}: parent {parent_name!r} is not defined")
                parent = self.node(parent_name)
                if parent.role not in _ALLOWED_PARENTS[node.role]:
                    raise TopologyError(
                        f"node {node.name}: a {node.role} cannot hang under "
                        f"{parent.role} {parent_name}"
                    )
        for name, value in self.limits:
            if name not in LIMIT_NAMES:
                raise TopologyError(f"limits: unknown {name!r}; known: {sorted(LIMIT_NAMES)}")
            if value <= 0:
                raise TopologyError(f"limits: {name} must be a positive integer")
        if not self.by_role(Role.PROVINCE):
            raise TopologyError("the topology has no province node")
        for carrier in self.carriers:
            claim(carrier.address, carrier.port, f"carrier {carrier.name}")
        rtp = self.rtpengine
        claim(rtp.address, rtp.ng_port, "rtpengine (ng)")
        claim(rtp.address, rtp.http_port, "rtpengine (http)")
        if not 1024 <= rtp.port_min < rtp.port_max <= 65535:
            raise TopologyError("rtpengine: need 1024 <= port_min < port_max <= 65535")
        validate_control_planes(self.control_planes, claim, frozenset(names))


def _q(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _check_address(addr: str, owner: str) -> None:
    try:
        ipaddress.ip_address(addr)
    except ValueError as exc:
        raise TopologyError(f"{owner}: {addr!r} is not an IP address") from exc


def _node_from(raw: dict[str, Any], index: int) -> KamailioNode:
    where = f"node #{index + 1}"
    try:
        name = str(raw["name"])
        role = Role(raw["role"])
        address = str(raw["address"])
    except KeyError as exc:
        raise TopologyError(f"{where}: missing field {exc.args[0]!r}") from exc
    except ValueError as exc:
        raise TopologyError(f"{where}: role must be one of {[r.value for r in Role]}") from exc
    unknown = set(raw) - {"name", "role", "address", "sip_port", "http_address", "http_port",
                          "evapi_port", "parents"}
    if unknown:
        raise TopologyError(f"node {name}: unknown field(s) {sorted(unknown)}")
    parents = raw.get("parents", [])
    if isinstance(parents, str):
        parents = [parents]
    return KamailioNode(
        name=name,
        role=role,
        address=address,
        sip_port=int(raw.get("sip_port", 5060)),
        http_address=str(raw.get("http_address", "")),
        http_port=int(raw.get("http_port", 5071)),
        evapi_port=int(raw.get("evapi_port", 5072)),
        parents=tuple(str(p) for p in parents),
    )


def parse_topology(text: str, source: str = "<topology>") -> Topology:
    """Parse and validate a topology from TOML text."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise TopologyError(f"{source}: not valid TOML: {exc}") from exc
    try:
        planes = parse_control_planes(raw)
        topo = Topology(
            domain=str(raw.get("domain", "cc.local")),
            nodes=tuple(_node_from(n, i) for i, n in enumerate(raw.get("node", []))),
            rtpengine=RtpengineNode(**raw.get("rtpengine", {})),
            control_plane=planes[0],
            limits=tuple((str(k), int(v)) for k, v in raw.get("limits", {}).items()),
            carriers=tuple(Carrier(**c) for c in raw.get("carrier", [])),
            control_plane_replicas=planes[1:],
        )
    except (TypeError, ValueError) as exc:
        raise TopologyError(f"{source}: {exc}") from exc
    topo.validate()
    return topo


def load_topology(path: Path) -> Topology:
    """Read and validate the topology file at ``path``."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise TopologyError(f"topology file {path} does not exist") from exc
    return parse_topology(text, str(path))
