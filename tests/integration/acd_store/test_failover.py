"""Two replicas in two processes on one Redis: kill -9 the owner, the other takes over
within 5 s with every queued call in its place and with its arrival time."""

from __future__ import annotations

import time
from pathlib import Path

from control_plane.acd.commands import OfferCall
from control_plane.acd.events import CallArrived
from control_plane.acd.model import CallRef, PriorityClass
from control_plane.acd_store.codec import decode_value
from tests.integration.acd_store.replicas import ReplicaProcess
from tests.redis_server import RedisServer
from tests.unit.acd_store.helpers import arrive, center, login

TAKEOVER_BOUND_S = 5.0


def test_kill_9_owner_then_takeover_keeps_the_queues(redis: RedisServer, tmp_path: Path) -> None:
    a = ReplicaProcess(redis.url, "A", log_dir=tmp_path, hash_seed=1)
    b = ReplicaProcess(redis.url, "B", log_dir=tmp_path, hash_seed=2)
    try:
        for event in center("t", queues=2):
            assert a.apply(event)["ok"]
        for n in range(20):  # VIPs jump ahead, so queue order is not arrival order
            vip = PriorityClass.VIP if n % 5 == 3 else None
            reply = a.apply(CallArrived(CallRef("t", f"c{n}"), f"q{n % 2}",
                                        priority_class=vip))
            assert reply["ok"] and reply["commands"] == []
            time.sleep(0.01)
        refused = b.apply(arrive("t", "intruder"))
        assert (refused["ok"], refused["error"]) == (False, "acd_store.not_owner")
        before = a.request("calls", tenant="t")
        assert before["owned"] and len(before["calls"]) == 20
        assert [c[1] for c in before["calls"][:3]] == ["c8", "c18", "c0"]  # VIPs first in q0

        a.kill()
        killed = time.monotonic()
        note = b.wait_note(lambda n: n.get("note") == "ownership" and n["held"],
                           within_s=TAKEOVER_BOUND_S)
        print(f"takeover after kill -9: {time.monotonic() - killed:.2f} s")
        assert note["partition"] == "t"
        after = b.request("calls", tenant="t")
        assert after["owned"]
        assert after["calls"] == before["calls"]  # order, state, position, arrival time

        # B continues the same queues: the first agent gets the head of the oldest VIP
        reply = b.apply(login("t", "a1"))
        offers = [decode_value(c) for c in reply["commands"]]
        assert [(o.call.call, o.agent.agent) for o in offers if isinstance(o, OfferCall)] == [
            ("c3", "a1")]
    finally:
        a.close()
        b.close()
