"""kill -9 of province core A under a call controller with calls connected, queued and in
the IVR: the controller's probes notice, it sends through core B, and every call goes on —
the agent's hangup reaches the caller, the queued caller is offered to the agent through B,
the IVR caller still reaches the queue, a new call completes, one CDR per call. When A is
back the controller returns to it and offers through it again (DESIGN §5 "Failover of
queued calls", §12).

Real Kamailio tiers and RTPengine on a stack of this module's own (it kills a node); the
controller runs in the test's event loop (tests/e2e/conftest.py's `controller` fixture).
"""

from __future__ import annotations

import asyncio
import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from control_plane.calls.session import Phase
from control_plane.sipstack.peer import Peer
from control_plane.topology.model import Role
from tests.callers import Caller, flowing, until
from tests.e2e.conftest import CallStack, RunningController, edge, started_call_stack
from tests.phones import AgentPhone
from tests.support import seat_ip

CENTER = Path(__file__).parent / "failover_center.toml"


@pytest.fixture(scope="module")
def call_stack() -> Iterator[CallStack]:
    """This module's own tiers (overrides conftest's shared one: core A gets killed)."""
    with started_call_stack(CENTER, prefix="cc-cw-") as stack:
        yield stack


def _via_hosts(phone: AgentPhone, index: int) -> list[str]:
    """The hosts of the Via headers of the ``index``-th INVITE the phone got."""
    return [via.host for via in phone.calls[index].request.via]


async def test_killing_core_a_moves_the_controller_to_core_b_and_keeps_every_call(
    call_stack: CallStack, controller: RunningController,
) -> None:
    topo = call_stack.topo
    service = controller.service
    assert service.ua is not None and service.controller.ctx is not None
    watch, ctx, ua = service.core_watch, service.controller.ctx, service.ua
    assert watch is not None
    core_a, core_b = topo.by_role(Role.PROVINCE)[:2]
    peer_a = Peer(core_a.address, core_a.sip_port)
    peer_b = Peer(core_b.address, core_b.sip_port)
    pair = topo.core_pair_host
    city = topo.node("city-1")
    alice = await AgentPhone.open(seat_ip(topo, 191))
    callers = [await Caller.open(seat_ip(topo, 192 + i), rtp_port=40100 + i) for i in range(4)]
    connected, queued, in_ivr, newcomer = callers
    county = edge(call_stack, "county-1")
    try:
        assert await alice.register(Peer(city.address, city.sip_port), "alice-fo",
                                    call_stack.seats["alice-fo"].password) == 200
        assert (await connected.call("4008000003", topo.domain, county)).status == 200
        await until(lambda: alice.dialogs, 30, "alice answers the first caller")
        await flowing(connected, alice)
        assert (await queued.call("4008000003", topo.domain, county)).status == 200
        assert (await in_ivr.call("4008000001", topo.domain, county)).status == 200
        await flowing(queued, in_ivr)  # music and the menu prompt
        # Before the kill everything the controller sends enters through core A.
        assert ctx.core == peer_a and ua.hosts[pair] == peer_a
        assert core_a.address in _via_hosts(alice, 0)

        daemon = call_stack.stack.daemon(core_a.name)
        os.killpg(daemon.pid, signal.SIGKILL)  # the main process and its forked workers
        daemon.process.wait(timeout=10)
        killed = time.monotonic()
        await until(lambda: watch.switches, 15, "the controller moves to core B")
        print(f"controller moved to core B {time.monotonic() - killed:.1f} s after kill -9")
        assert watch.switches == [peer_b]
        assert ctx.core == peer_b and ua.hosts[pair] == peer_b
        assert service.metrics is not None
        moved = service.metrics.registry.get_sample_value(
            "cc_controller_core_switches_total", {"core": f"{peer_b.host}:{peer_b.port}"})
        assert moved == 1

        # Media never stopped: RTPengine holds it whichever core is up.
        await flowing(connected, alice, queued, in_ivr)
        # The agent hangs up: the controller's BYE reaches the caller through core B.
        await alice.hang_up()
        await until(lambda: not connected.connected, 15, "first caller gets the BYE")
        # The queued caller is offered to alice through core B, and she answers.
        heard = queued.rtp.echoed, in_ivr.rtp.echoed
        await until(lambda: queued.rtp.echoed > heard[0] + 25, 30, "queued caller hears alice")
        assert len(alice.calls) == 2
        assert core_b.address in _via_hosts(alice, 1)
        assert core_a.address not in _via_hosts(alice, 1)
        # The IVR caller still walks the menu into the queue, and reaches alice next.
        await in_ivr.rtp.press("1")
        ivr_session = service.controller.sessions[in_ivr.invite.request.call_id]  # type: ignore[union-attr]
        await until(lambda: ivr_session.phase is Phase.QUEUED, 20, ivr_session.record)
        assert in_ivr.rtp.echoed == heard[1]
        await queued.hang_up()
        await until(lambda: in_ivr.rtp.echoed > heard[1] + 25, 30, "IVR caller hears alice")
        await alice.hang_up()  # the agent ends this one too: another BYE through core B
        await until(lambda: not in_ivr.connected, 15, "IVR caller gets the BYE")

        # A call placed after the kill completes: answered by the controller through B,
        # offered to alice, talked, hung up by the caller.
        assert (await newcomer.call("4008000003", topo.domain, county)).status == 200
        await until(lambda: len(alice.calls) == 4, 30, "alice is offered the new call")
        await flowing(newcomer, alice)
        await newcomer.hang_up()
        await until(lambda: len(controller.finished) == 4, 15, "four calls ended")

        await controller.sink.flush()
        ids = {c.invite.request.call_id for c in callers if c.invite is not None}
        rows = controller.rows("SELECT call_id, count() FROM {db}.cdr GROUP BY call_id")
        assert {str(call_id): n for call_id, n in rows} == dict.fromkeys(ids, 1)
        causes = {str(call_id): (agent, cause) for call_id, agent, cause in controller.rows(
            "SELECT call_id, agent, hangup_cause FROM {db}.cdr FINAL")}
        assert causes[connected.invite.request.call_id] == ("alice", "agent")  # type: ignore[union-attr]
        assert causes[queued.invite.request.call_id] == ("alice", "caller")  # type: ignore[union-attr]
        assert causes[in_ivr.invite.request.call_id] == ("alice", "agent")  # type: ignore[union-attr]
        assert causes[newcomer.invite.request.call_id] == ("alice", "caller")  # type: ignore[union-attr]

        # Core A comes back: once it has answered long enough the controller returns to it.
        await asyncio.to_thread(call_stack.stack.restart, core_a.name)
        back = time.monotonic()
        await until(lambda: len(watch.switches) == 2, 30, "the controller returns to A")
        print(f"controller back on core A {time.monotonic() - back:.1f} s after its restart")
        assert watch.switches == [peer_b, peer_a]
        assert ctx.core == peer_a and ua.hosts[pair] == peer_a
        # ...and an agent offered through A again is found: A learnt the seat from B.
        late = await Caller.open(seat_ip(topo, 196), rtp_port=40104)
        callers.append(late)
        assert (await late.call("4008000003", topo.domain, county)).status == 200
        await until(lambda: len(alice.calls) == 5, 30, "alice is offered a call through A")
        assert core_a.address in _via_hosts(alice, 4)
        await flowing(late, alice)
        await late.hang_up()
        await until(lambda: len(controller.finished) == 5, 15, "the fifth call ended")
    finally:
        for caller in callers:
            await caller.close()
        await alice.close()
