"""Per-node configuration generated from the topology description.

Each Kamailio node gets a directory with ``node.cfg`` (its role define and #!substdef
values, then an include of the one repository ``kamailio/kamailio.cfg``), its dispatcher
list and a kamcli ini. RTPengine gets its own config file (never Debian's default, which
asks for the kernel module and the ``proc`` recording method).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from control_plane.topology.model import KamailioNode, Role, Topology

REPO_ROOT = Path(__file__).resolve().parents[2]
KAMAILIO_CFG = REPO_ROOT / "kamailio" / "kamailio.cfg"
RTPENGINE_TEMPLATE = REPO_ROOT / "rtpengine" / "rtpengine.conf.in"

# A Unix socket path longer than this cannot be bound (sun_path is 108 bytes).
_MAX_SOCKET_PATH = 100


class RenderError(ValueError):
    """The configuration cannot be generated (for example a run dir path is too long)."""


@dataclass(frozen=True, slots=True)
class SiteSecrets:
    """What the province cores share and no file in the repository holds."""

    credentials_db: Path
    auth_secret: str


@dataclass(frozen=True, slots=True)
class NodeFiles:
    """Where the generated files of one Kamailio node are."""

    directory: Path
    cfg: Path
    kamcli_ini: Path
    rpc_socket: Path


def peer_addresses(node: KamailioNode, topo: Topology) -> tuple[str, ...]:
    """Addresses this node trusts as fellow nodes: parents, children, pair peer, controllers.

    Edges use it to tell a seat (first hop: record the NAT address in Path) from a node
    above or below (record only themselves).
    """
    addrs: list[str] = [topo.node(p).address for p in node.parents]
    addrs += [n.address for n in topo.nodes if node.name in n.parents]
    if node.role is Role.PROVINCE:
        addrs += [n.address for n in topo.by_role(Role.PROVINCE) if n.name != node.name]
    addrs += [cp.address for cp in topo.control_planes]
    return tuple(dict.fromkeys(addrs))


def _substdef(name: str, value: str) -> str:
    if "!" in value:
        raise RenderError(f"value for {name} may not contain '!': {value!r}")
    # In the replacement part `$` starts a pseudo-variable; `$$` is a literal `$`.
    escaped = value.replace("$", "$$")
    return f'#!substdef "!{name}!{escaped}!g"'


def node_header(node: KamailioNode, topo: Topology, node_dir: Path,
                secrets: SiteSecrets) -> str:
    """The generated ``node.cfg``: role, per-node values, then the shared cfg."""
    defines = [f"WITH_{node.role.value.upper()}", *(f"{k} {v}" for k, v in topo.limits)]
    values = {
        "NODE_NAME": node.name,
        "MY_SIP_IP": node.address,
        "MY_SIP_PORT": str(node.sip_port),
        "MY_HTTP_IP": node.rpc_address,
        "MY_HTTP_PORT": str(node.http_port),
        "NODE_RUN_DIR": str(node_dir),
        "SIP_DOMAIN": topo.domain,
        "PEER_ADDRS": ",".join(peer_addresses(node, topo)),
        "CORE_PAIR_HOST": topo.core_pair_host,
    }
    values["RTPENGINE_NG"] = f"{topo.rtpengine.address}:{topo.rtpengine.ng_port}"
    if node.role is Role.PROVINCE:
        values |= {
            # db_sqlite drops the first slash of the path: an absolute path needs four.
            "AUTH_DB_URL": f"sqlite:///{secrets.credentials_db.resolve()}",
            "AUTH_SECRET": secrets.auth_secret,
            "EVAPI_PORT": str(node.evapi_port),
            "CONTROLLER_ADDRS": ",".join(dict.fromkeys(cp.address for cp in topo.control_planes)),
            "CENTER_NUMBERS": topo.control_plane.center_numbers,
        }
        if topo.carriers:
            defines.append("WITH_CARRIERS")
            values |= {
                "CARRIER_ADDRS": ",".join(c.address for c in topo.carriers),
                "TOPOS_DB_URL": f"sqlite:///{node_dir / 'topos.sqlite'}",
            }
        pair = [n for n in topo.by_role(Role.PROVINCE) if n.name != node.name]
        if pair:
            defines.append("WITH_DMQ")
            values |= {
                "DMQ_PEER": f"{pair[0].address}:{pair[0].sip_port}",
                "DMQ_PEERS": ",".join(n.address for n in pair),
            }
    lines = [
        "#!KAMAILIO",
        f"# Generated from the topology for node {node.name}; edit the topology, not this.",
        *(f"#!define {d}" for d in defines),
        *(_substdef(k, v) for k, v in values.items()),
        f'include_file "{KAMAILIO_CFG}"',
        "",
    ]
    return "\n".join(lines)


def dispatcher_list(node: KamailioNode, topo: Topology) -> str:
    """Set 1 = the node's parents (edges); set 2 = the carriers and set 3 = the call
    controllers, every control-plane replica in topology order (cores); all OPTIONS-probed."""
    lines = ["# setid destination flags priority attrs"]
    for prio, parent_name in enumerate(reversed(node.parents)):
        parent = topo.node(parent_name)
        lines.append(f"1 sip:{parent.address}:{parent.sip_port} 0 {prio} name={parent.name}")
    if node.role is Role.PROVINCE:
        for carrier in topo.carriers:
            lines.append(f"2 sip:{carrier.address}:{carrier.port} 0 0 name={carrier.name}")
        # Every replica of the center: new calls are shared among them, and a dead one's
        # dialogs go to a live one chosen by the call's key (kamailio.cfg, CONTROLLER_DIALOG).
        lines += [f"3 {cp.sip_uri} 0 0 name={cp.name}" for cp in topo.control_planes]
    return "\n".join(lines) + "\n"


def kamcli_ini(rpc_socket: Path) -> str:
    """A kamcli config that talks JSON-RPC to this node's datagram socket."""
    return (
        "[main]\n"
        "domain=cc.local\n"
        "[ctl]\n"
        "type=jsonrpc\n"
        "[jsonrpc]\n"
        "transport=socket\n"
        f"srvaddr={rpc_socket}\n"
        f"rcvaddr={rpc_socket.parent / 'kamcli_reply.sock'}\n"
        "outformat=json\n"
    )


def write_node(node: KamailioNode, topo: Topology, run_dir: Path,
               secrets: SiteSecrets) -> NodeFiles:
    """Write the node's directory under ``run_dir`` and return where its files are."""
    node_dir = (run_dir / node.name).resolve()
    rpc_socket = node_dir / "kamailio_rpc.sock"
    if len(str(node_dir / "kamcli_reply.sock.9999999")) > _MAX_SOCKET_PATH:
        raise RenderError(
            f"run dir {node_dir} is too long for Unix sockets; use a shorter run_dir"
        )
    node_dir.mkdir(parents=True, exist_ok=True)
    cfg = node_dir / "node.cfg"
    cfg.write_text(node_header(node, topo, node_dir, secrets), encoding="utf-8")
    # Every role dispatches: parents (edges), carriers and call controllers (cores).
    (node_dir / "dispatcher.list").write_text(dispatcher_list(node, topo), encoding="utf-8")
    ini = node_dir / "kamcli.ini"
    ini.write_text(kamcli_ini(rpc_socket).replace("cc.local", topo.domain), encoding="utf-8")
    return NodeFiles(directory=node_dir, cfg=cfg, kamcli_ini=ini, rpc_socket=rpc_socket)


def write_rtpengine(topo: Topology, run_dir: Path) -> Path:
    """Write RTPengine's config from the repository template; returns the file."""
    rtp = topo.rtpengine
    directory = (run_dir / rtp.name).resolve()
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "recordings").mkdir(exist_ok=True)
    text = RTPENGINE_TEMPLATE.read_text(encoding="utf-8").format(
        address=rtp.address,
        ng_port=rtp.ng_port,
        http_port=rtp.http_port,
        port_min=rtp.port_min,
        port_max=rtp.port_max,
        recording_dir=directory / "recordings",
        dtmf_log_dest=f"{topo.control_plane.address}:{topo.control_plane.dtmf_port}",
    )
    conf = directory / "rtpengine.conf"
    conf.write_text(text, encoding="utf-8")
    return conf
