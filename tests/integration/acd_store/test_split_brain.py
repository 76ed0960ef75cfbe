"""A replica paused past its lease (SIGSTOP) resumes after another took over: it is fenced
and never offers an agent the new owner reserved."""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path

from control_plane.acd.commands import OfferCall
from control_plane.acd_store.codec import decode_value
from control_plane.acd_store.partition import replay
from control_plane.acd_store.redis_store import RedisAcdStore
from tests.integration.acd_store.replicas import ReplicaProcess
from tests.redis_server import RedisServer
from tests.unit.acd_store.helpers import arrive, center, login


def test_paused_owner_is_fenced_after_takeover(redis: RedisServer, tmp_path: Path) -> None:
    a = ReplicaProcess(redis.url, "A", log_dir=tmp_path, lease_ttl_s=1.0, hash_seed=3)
    b = ReplicaProcess(redis.url, "B", log_dir=tmp_path, lease_ttl_s=1.0, hash_seed=4)
    try:
        for event in [*center("t", ring_timeout_s=60), login("t", "a1")]:
            assert a.apply(event)["ok"]
        a.proc.send_signal(signal.SIGSTOP)
        b.wait_note(lambda n: n.get("note") == "ownership" and n["held"], within_s=5.0)
        reply = b.apply(arrive("t", "c1"))
        offers = [decode_value(c) for c in reply["commands"]]
        assert [o.agent.agent for o in offers if isinstance(o, OfferCall)] == ["a1"]
        seen = len(a.notes)
        a.proc.send_signal(signal.SIGCONT)
        late = a.apply(arrive("t", "c2"))  # A still believes it owns t
        assert (late["ok"], late["error"]) == (False, "acd_store.not_owner")
        a.wait_note(lambda n: n.get("note") == "ownership" and not n["held"], within_s=5.0)
        assert not [n for n in a.notes[seen:] if n.get("note") == "command"]

        async def check() -> None:
            store = RedisAcdStore.from_url(redis.url)
            assert await store.reserved_by("t/a1") == "t/c1"
            engine, _ = replay(await store.load("t"), "t")
            assert sorted(ref.call for ref in engine.state.calls) == ["c1"]
            await store.close()

        asyncio.run(check())
        assert [c[1] for c in b.request("calls", tenant="t")["calls"]] == ["c1"]
    finally:
        a.proc.send_signal(signal.SIGCONT)
        a.close()
        b.close()
