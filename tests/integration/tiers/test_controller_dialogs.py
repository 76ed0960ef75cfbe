"""The cores route a call controller's dialogs to the replica holding them, and to one
survivor when that replica dies (kamailio.cfg route[CONTROLLER_DIALOG], DESIGN.md §5).

Real Kamailio tiers (the demo topology on a range of its own, with three control-plane
replicas) and stand-in replicas of our own SIP stack on the replicas' addresses: they
answer with ``Contact: <sip:cc-KEY@CORE_PAIR_HOST;ctl=IP:PORT>`` and share their dialogs,
as the real replicas share Redis (tests/integration/tiers/standins.py).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import pytest

from control_plane.runtime.stack import Stack
from control_plane.sipstack import Dialog, DialogId, Peer, SipUri
from control_plane.topology.model import Role, Topology
from tests.integration.tiers.standins import (
    Call,
    Endpoint,
    LoopThread,
    StandInController,
    in_dialog,
    place_call,
)
from tests.support import (
    dispatcher_flags,
    eventually,
    free_prefix,
    register_seat,
    relocated_demo,
    seat_accounts,
    seat_ip,
)

NUMBER = "4008000001"


@dataclass
class Center:
    """The running tiers, the stand-in replicas (by name) and the loop they run on."""

    topo: Topology
    stack: Stack
    loop: LoopThread
    replicas: dict[str, StandInController]

    def edge(self, name: str = "county-2") -> Peer:
        """An edge's SIP address (county-2 hangs under both cores)."""
        node = self.topo.node(name)
        return Peer(node.address, node.sip_port)

    def call(self, caller: Endpoint, edge: str = "county-2") -> Call:
        """``caller`` calls the center's number through an edge."""
        return self.loop.run(place_call(caller, NUMBER, self.topo.domain, self.edge(edge)))

    def endpoint(self, name: str, host: int, port: int = 5060) -> Endpoint:
        """A started endpoint on address ``host`` of the stack's range."""
        point = Endpoint(name, seat_ip(self.topo, host), port)
        self.loop.run(point.start())
        return point

    def holder(self, ctl: str | None) -> StandInController:
        """The replica a ``ctl`` value names."""
        return next(r for r in self.replicas.values() if r.ctl == ctl)

    def all_up(self) -> None:
        """Every replica runs, redirects nothing, and both cores see all of them active."""
        for replica in self.replicas.values():
            replica.owner = None
            replica.refuse_info = None
            if not replica.running:
                self.loop.run(replica.start())
        for core in self.topo.by_role(Role.PROVINCE):
            def active(core_addr: str = core.rpc_address, port: int = core.http_port) -> bool:
                flags = dispatcher_flags(core_addr, port)
                return all(flags.get(name, "").startswith("A") for name in self.replicas)

            eventually(active, timeout=30)


def _topology(prefix: str) -> Topology:
    demo = relocated_demo(prefix)
    first = replace(demo.control_plane, name="ctl-a")
    others = (replace(first, name="ctl-b", address=f"{prefix}.21"),
              replace(first, name="ctl-c", address=f"{prefix}.22"))
    return replace(demo, control_plane=first, control_plane_replicas=others)


@pytest.fixture(scope="module")
def center(short_tmp: Path) -> Iterator[Center]:
    topo = _topology(free_prefix())
    loop = LoopThread()
    core = topo.by_role(Role.PROVINCE)[0]
    dialogs: dict[DialogId, Dialog] = {}
    replicas = {
        cp.name: StandInController(cp.name, cp.address, cp.sip_port,
                                   core_pair_host=topo.core_pair_host,
                                   core=Peer(core.address, core.sip_port), dialogs=dialogs)
        for cp in topo.control_planes
    }
    for replica in replicas.values():
        loop.run(replica.start())
    # The stand-ins answer the cores' probes from the start, so every replica is active.
    stack = Stack(topo, short_tmp / "ctl-dialogs", control_plane=False)
    stack.start()
    running = Center(topo, stack, loop, replicas)
    try:
        running.all_up()
        yield running
    finally:
        stack.stop()
        for replica in replicas.values():
            loop.run(replica.stop())
        loop.stop()


@pytest.fixture
def up(center: Center) -> Center:
    """The center with every replica running and active again."""
    center.all_up()
    return center


def _forged(dialog: Dialog, ctl: str) -> None:
    target = dialog.remote_target
    assert isinstance(target, SipUri)
    dialog.remote_target = target.with_params(target.params.set("ctl", ctl))


def test_a_call_and_its_dialog_stay_on_the_replica_that_answered(up: Center) -> None:
    caller = up.endpoint("caller1", 150)
    try:
        call = up.call(caller)
        assert call.final.status == 200 and call.dialog is not None
        target = call.final.contact[0].uri
        assert call.key is not None and isinstance(target, SipUri)
        assert target.host == up.topo.core_pair_host
        holder = up.holder(call.ctl)
        for method in ("INVITE", "INFO", "BYE"):
            assert up.loop.run(in_dialog(caller, call.dialog, method)) == 200, method
        others = [r for r in up.replicas.values() if r is not holder]
        assert holder.got("INVITE", call.call_id) == 2
        eventually(lambda: holder.got("ACK", call.call_id) == 2)
        assert holder.got("INFO", call.call_id) == holder.got("BYE", call.call_id) == 1
        assert not any(s.call_id == call.call_id for r in others for s in r.seen)
    finally:
        up.loop.run(caller.stop())


# county-2 hangs under the cores, county-1 under the city: the core must give up on a dead
# replica before either edge in front of it gives up on the core.
@pytest.mark.parametrize("edge", ["county-2", "county-1"])
def test_when_the_replica_dies_every_request_of_the_key_reaches_one_survivor(
    up: Center, tmp_path: Path, edge: str
) -> None:
    (agent,) = seat_accounts(["ctl-agent1"])
    up.stack.add_seats([agent])
    city = up.topo.node("city-1")
    assert register_seat(f"{city.address}:5060", agent, seat_ip(up.topo, 160),
                         tmp_path).successful == 1
    seat = up.endpoint("ctl-agent1", 160)
    caller = up.endpoint("caller2", 151)
    try:
        call = up.call(caller, edge)
        assert call.final.status == 200 and call.dialog is not None and call.key
        dead = up.holder(call.ctl)
        # The agent leg: the replica calls the seat through the core with the caller's key.
        leg = up.loop.run(dead.call_seat(SipUri(host=up.topo.domain, user="ctl-agent1"),
                                         call.key))
        assert leg.status == 200, leg
        eventually(lambda: seat.got("ACK", leg.call_id) == 1)
        seat_dialog = next(iter(seat.ua.dialogs.values()))
        # The seat's requests in the agent leg reach the replica that placed it.
        assert up.loop.run(in_dialog(seat, seat_dialog, "INFO")) == 200
        assert dead.got("INFO", leg.call_id) == 1

        up.loop.run(dead.stop())  # kill -9: the socket is gone, nobody is told
        started = time.monotonic()
        assert up.loop.run(in_dialog(caller, call.dialog, "INFO")) == 200
        failover_s = time.monotonic() - started
        survivors = [r for r in up.replicas.values() if r.got("INFO", call.call_id)]
        assert len(survivors) == 1 and survivors[0] is not dead, survivors
        survivor = survivors[0]
        # The core that gave up on the dead one marked it: no second wait for it.
        started = time.monotonic()
        assert up.loop.run(in_dialog(caller, call.dialog, "INVITE")) == 200
        next_s = time.monotonic() - started
        assert next_s < 1, f"the next request waited {next_s:.1f} s for the dead replica"
        assert up.loop.run(in_dialog(seat, seat_dialog, "BYE")) == 200
        assert up.loop.run(in_dialog(caller, call.dialog, "BYE")) == 200
        assert survivor.got("INVITE", call.call_id) == 1
        eventually(lambda: survivor.got("ACK", call.call_id) == 1)
        assert survivor.got("BYE", call.call_id) == 1
        assert survivor.got("BYE", leg.call_id) == 1
        # Nobody else saw any of it after the kill (the dead one saw the call before).
        for other in up.replicas.values():
            if other not in (survivor, dead):
                assert not any(s.call_id in (call.call_id, leg.call_id) for s in other.seen)
        assert failover_s < 5, f"the first request after the kill took {failover_s:.1f} s"
        print(f"via {edge}: first request after the kill answered in {failover_s:.2f} s, "
              f"the next in {next_s:.2f} s")
    finally:
        up.loop.run(caller.stop())
        up.loop.run(seat.stop())


def test_a_forged_ctl_naming_no_controller_is_not_followed(up: Center) -> None:
    caller = up.endpoint("caller3", 152)
    holder_ip = up.topo.control_plane.address
    # Traps: a stranger's address, and a controller's address on a port no replica has.
    traps = [up.endpoint("trap-host", 170, 5080), Endpoint("trap-port", holder_ip, 5099)]
    up.loop.run(traps[1].start())
    try:
        call = up.call(caller)
        assert call.final.status == 200 and call.dialog is not None
        _forged(call.dialog, f"{traps[0].address}:{traps[0].port}")
        assert up.loop.run(in_dialog(caller, call.dialog, "INFO")) == 200
        _forged(call.dialog, "evil.example.com:5080")
        assert up.loop.run(in_dialog(caller, call.dialog, "INFO")) == 200
        _forged(call.dialog, f"{holder_ip}:5099")
        assert up.loop.run(in_dialog(caller, call.dialog, "BYE")) == 200
        assert not traps[0].seen and not traps[1].seen
        answered = [r.name for r in up.replicas.values() if r.got("BYE", call.call_id)]
        assert len(answered) == 1, answered
        # A ctl naming a live replica is followed, whichever it names (the key's hash
        # picks one replica: it cannot be both of the others).
        second = up.call(caller)
        assert second.dialog is not None
        for other in (r for r in up.replicas.values() if r.ctl != second.ctl):
            _forged(second.dialog, other.ctl)
            assert up.loop.run(in_dialog(caller, second.dialog, "INFO")) == 200
            assert other.got("INFO", second.call_id) == 1, other.name
        assert up.loop.run(in_dialog(caller, second.dialog, "BYE")) == 200
    finally:
        for point in (caller, *traps):
            up.loop.run(point.stop())


def test_a_redirect_to_the_owning_replica_lands_the_call_there(up: Center) -> None:
    owner = up.replicas["ctl-b"]
    for replica in up.replicas.values():
        replica.owner = owner.ctl
    caller = up.endpoint("caller4", 153)
    try:
        redirected = 0
        for _ in range(6):
            before = {r.name: r.got_invites() for r in up.replicas.values()}
            call = up.call(caller)
            # The caller sees the owner's 200, never the 302.
            assert call.final.status == 200, call.final
            assert call.ctl == owner.ctl
            assert owner.got("INVITE", call.call_id) == 1
            redirected += sum(1 for r in up.replicas.values()
                              if r is not owner and r.got_invites() > before[r.name])
            assert call.dialog is not None
            assert up.loop.run(in_dialog(caller, call.dialog, "BYE")) == 200
            assert owner.got("BYE", call.call_id) == 1
            if redirected:
                break
        assert redirected, "no call reached a non-owner first: the redirect was not tested"
    finally:
        up.loop.run(caller.stop())


def test_a_redirect_to_a_non_controller_or_in_a_loop_fails_the_call(up: Center) -> None:
    caller = up.endpoint("caller5", 154)
    trap = up.endpoint("trap-owner", 171, 5080)
    try:
        for replica in up.replicas.values():
            replica.owner = trap.address + ":5080"
        # Each core refuses with 502; the edge tries the other core on a 5xx, as for any
        # core that cannot place a call, so the caller may see the edge's 503 instead.
        call = up.call(caller)
        assert call.final.status in (502, 503), call.final
        assert not trap.seen
        # Three replicas each naming the next one as the owner: two redirects, then 502.
        names = list(up.replicas)
        for i, name in enumerate(names):
            up.replicas[name].owner = up.replicas[names[(i + 1) % len(names)]].ctl
        call = up.call(caller)
        assert call.final.status in (502, 503), call.final
        invites = sum(r.got("INVITE", call.call_id) for r in up.replicas.values())
        assert invites in (3, 6), invites  # 1 + 2 redirects on each core tried
    finally:
        up.loop.run(caller.stop())
        up.loop.run(trap.stop())



def test_a_busy_replica_keeps_its_dialog_and_a_failing_one_loses_it(up: Center) -> None:
    caller = up.endpoint("caller6", 155)
    try:
        call = up.call(caller)
        assert call.final.status == 200 and call.dialog is not None
        holder = up.holder(call.ctl)
        # 5xx with Retry-After: alive and keeping the dialog; the sender hears it (a 503
        # relayed by a proxy becomes 500, RFC 3261 §16.7) once, and may retry.
        holder.refuse_info = (503, "2")
        assert up.loop.run(in_dialog(caller, call.dialog, "INFO")) == 500
        assert holder.got("INFO", call.call_id) == 1
        assert not any(r.got("INFO", call.call_id) for r in up.replicas.values()
                       if r is not holder)
        assert all(dispatcher_flags(core.rpc_address, core.http_port)[holder.name][0] == "A"
                   for core in up.topo.by_role(Role.PROVINCE))
        # 5xx without Retry-After: the request goes to the key's replica among the others,
        # and the core that saw it marks the holder down until its probes answer again.
        holder.refuse_info = (500, None)
        assert up.loop.run(in_dialog(caller, call.dialog, "INFO")) == 200
        took = [r for r in up.replicas.values() if r is not holder and r.got("INFO", call.call_id)]
        assert len(took) == 1, took
        marked = [dispatcher_flags(core.rpc_address, core.http_port)[holder.name]
                  for core in up.topo.by_role(Role.PROVINCE)]
        assert any(flags.startswith("I") for flags in marked), marked
        holder.refuse_info = None
        assert up.loop.run(in_dialog(caller, call.dialog, "BYE")) == 200
    finally:
        up.loop.run(caller.stop())
