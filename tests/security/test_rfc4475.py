"""Every Kamailio role survives the RFC 4475 torture messages and keeps serving."""

from __future__ import annotations

from pathlib import Path

import pytest

from control_plane.runtime import probes
from control_plane.topology.model import Role
from tests.conftest import RunningStack
from tests.support import send_raw

TORTURE_DIR = Path(__file__).resolve().parents[3] / "shared" / "conformance" / "rfc4475"
MESSAGES = sorted(TORTURE_DIR.glob("*.dat"))


def test_the_fifty_messages_are_there() -> None:
    assert len(MESSAGES) == 50, f"expected 50 RFC 4475 messages in {TORTURE_DIR}"


@pytest.mark.parametrize("role", [Role.PROVINCE, Role.CITY, Role.COUNTY])
@pytest.mark.parametrize("proto", ["udp", "tcp"])
def test_node_survives_torture_messages(tiers: RunningStack, role: Role, proto: str) -> None:
    node = tiers.topo.by_role(role)[0]
    daemon = next(d for d in tiers.stack.supervisor.daemons if d.spec.name == node.name)
    for message in MESSAGES:
        send_raw(node.address, node.sip_port, message.read_bytes(), proto, timeout=0.05)
        assert daemon.is_running(), f"{node.name} died on {message.name} over {proto}"
    assert probes.sip_options(node.address, node.sip_port, timeout=2.0) is None
    assert probes.kamailio_rpc_ready(node.rpc_address, node.http_port) is None


def test_the_call_controller_survives_torture_messages(tiers: RunningStack) -> None:
    # The controller listens on UDP only (the cores reach it over UDP).
    cp = tiers.topo.control_plane
    daemon = next(d for d in tiers.stack.supervisor.daemons if d.spec.name == cp.name)
    for message in MESSAGES:
        send_raw(cp.address, cp.sip_port, message.read_bytes(), "udp", timeout=0.05)
        assert daemon.is_running(), f"the control plane died on {message.name}"
    assert probes.sip_options(cp.address, cp.sip_port, timeout=2.0) is None
    assert probes.http_ok(f"http://{cp.address}:{cp.port}/healthz") is None
