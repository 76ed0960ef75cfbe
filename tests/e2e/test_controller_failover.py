"""kill -9 of the active call controller: a standby replica takes the center over and keeps
every call — connected (media never stops, either side can still hang up), queued (keeps
its place) and in the IVR (still walks it) — with one CDR per call across both replicas.

Real Kamailio tiers, RTPengine and Redis; the two controllers are separate processes
(`python -m control_plane.calls`), the callers and the agent's softphone run here.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from control_plane.calls.records_file import read_records
from control_plane.runtime.stack import Stack
from control_plane.sipstack.peer import Peer
from control_plane.topology.model import Topology
from tests.callers import Caller, flowing, until
from tests.phones import AgentPhone
from tests.redis_server import RedisServer, redis_server
from tests.support import free_prefix, seat_accounts, seat_ip, two_replica_demo

CENTER = Path(__file__).parent / "failover_center.toml"


@dataclass
class Replica:
    """One controller process."""

    name: str
    process: subprocess.Popen[bytes]
    state: Path
    records: Path

    def role(self) -> str:
        """"active", "standby" or "" (not up yet)."""
        return self.state.read_text().strip() if self.state.exists() else ""

    async def reaches(self, role: str, within: float) -> None:
        """Wait for ``role``; on failure the assertion carries the process's log."""
        try:
            await until(lambda: self.role() == role, within, f"{self.name} {role}")
        except AssertionError as exc:
            log = self.state.with_suffix(".log")
            tail = log.read_text(errors="replace")[-3000:] if log.exists() else ""
            raise AssertionError(f"{exc}\n{self.name} log:\n{tail}") from None


@dataclass
class FailoverStack:
    """Tiers with two controller replicas in dispatcher set 3, Redis, a center file."""

    topo: Topology
    stack: Stack
    run_dir: Path
    redis: RedisServer
    password: str

    def start_replica(self, name: str, incarnation: int = 1) -> Replica:
        """Start a controller process for replica ``name`` (files per incarnation)."""
        stem = f"{name}-{incarnation}-{next(_STARTS)}"  # files of their own per process
        state = self.run_dir / f"{stem}.state"
        records = self.run_dir / f"{stem}.records.jsonl"
        log = (self.run_dir / f"{stem}.log").open("wb")  # beside the state file
        process = subprocess.Popen(
            [sys.executable, "-m", "control_plane.calls", "--topology",
             str(self.run_dir / "topology.toml"), "--center",
             str(self.run_dir / "center.toml"), "--prompts", str(self.run_dir / "prompts"),
             "--records", str(records), "--replica", name, "--redis", self.redis.url,
             "--state-file", str(state)],
            stdout=log, stderr=subprocess.STDOUT, cwd=Path(__file__).parents[2])
        return Replica(name, process, state, records)


@pytest.fixture(scope="module")
def failover_stack() -> Iterator[FailoverStack]:
    topo = two_replica_demo(free_prefix())
    run_dir = Path(tempfile.mkdtemp(prefix="cc-fo-", dir="/tmp"))
    shutil.copy(CENTER, run_dir / "center.toml")
    (run_dir / "topology.toml").write_text(topo.to_toml(), encoding="utf-8")
    stack = Stack(topo, run_dir / "stack", control_plane=False)
    stack.start()
    try:
        (account,) = seat_accounts(["alice-fo"], tenant="acme")
        stack.add_seats([account])
        with redis_server(run_dir / "redis") as redis:
            yield FailoverStack(topo, stack, run_dir, redis, account.password)
    finally:
        stack.stop()
        # The replicas' logs and records are kept as test artifacts (what took over, when).
        artifacts = Path(__file__).parents[2] / "var" / "artifacts" / "failover"
        artifacts.mkdir(parents=True, exist_ok=True)
        for kept in (*run_dir.glob("cp-*.log"), *run_dir.glob("cp-*.records.jsonl")):
            shutil.copy(kept, artifacts / kept.name)
        shutil.rmtree(run_dir, ignore_errors=True)


_STARTS = itertools.count(1)
replicas_started: list[Replica] = []  # every process a test started (stopped at the end)


@pytest.fixture
async def replicas(failover_stack: FailoverStack) -> AsyncIterator[tuple[Replica, Replica]]:
    import redis

    redis.Redis.from_url(failover_stack.redis.url).flushall()  # each test's own center
    one = failover_stack.start_replica("cp-1")
    started = replicas_started
    started.clear()
    started.append(one)
    try:
        await one.reaches("active", 60)
        two = failover_stack.start_replica("cp-2")
        started.append(two)
        await two.reaches("standby", 60)
        yield one, two
    finally:
        for replica in started:
            if replica.process.poll() is None:
                replica.process.send_signal(signal.SIGTERM)
                try:
                    replica.process.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    replica.process.kill()


def _cdrs(*replicas: Replica) -> dict[str, list[dict[str, object]]]:
    out: dict[str, list[dict[str, object]]] = {}
    for replica in replicas:
        for row in read_records(replica.records, "cdr"):
            out.setdefault(str(row["call_id"]), []).append(row)
    return out


@asynccontextmanager
async def _parties(stack: FailoverStack, host: int, callers: int
                   ) -> AsyncIterator[tuple[AgentPhone, list[Caller], Peer]]:
    """Alice's softphone registered through city-1 (on ``host``), ``callers`` callers on the
    next hosts, and where callers enter (county-1); closed when the block ends."""
    topo = stack.topo
    city, county = topo.node("city-1"), topo.node("county-1")
    alice = await AgentPhone.open(seat_ip(topo, host))
    parties = [await Caller.open(seat_ip(topo, host + 1 + i), rtp_port=40000 + host * 10 + i)
               for i in range(callers)]
    try:
        assert await alice.register(Peer(city.address, city.sip_port), "alice-fo",
                                    stack.password) == 200
        yield alice, parties, Peer(county.address, county.sip_port)
    finally:
        for caller in parties:
            await caller.close()
        await alice.close()


def _cdrs_when(count: int, *replicas: Replica) -> dict[str, list[dict[str, object]]] | None:
    """Every replica's CDRs by call, once there are ``count`` calls' worth."""
    cdrs = _cdrs(*replicas)
    return cdrs if len(cdrs) == count else None


async def test_kill_9_of_the_active_controller_keeps_every_call(
        failover_stack: FailoverStack, replicas: tuple[Replica, Replica]) -> None:
    one, two = replicas
    topo = failover_stack.topo
    async with _parties(failover_stack, 191, 3) as (alice, callers, edge):
        connected, queued, in_ivr = callers
        assert (await connected.call("4008000003", topo.domain, edge)).status == 200
        await until(lambda: alice.dialogs, 30, "alice answers the first caller")
        await flowing(connected, alice)
        assert (await queued.call("4008000003", topo.domain, edge)).status == 200
        assert (await in_ivr.call("4008000001", topo.domain, edge)).status == 200
        await flowing(queued, in_ivr)  # music and the menu prompt
        await asyncio.sleep(1.0)  # the keeper and the journal write behind the calls

        killed = time.monotonic()
        os.kill(one.process.pid, signal.SIGKILL)
        one.process.wait(timeout=10)
        await two.reaches("active", 15)
        print(f"takeover: cp-2 active {time.monotonic() - killed:.2f} s after the kill")
        # The killed replica comes back at once (as a service manager would restart it) and
        # stands by: the survivor refreshed every dialog's target, so the calls' requests
        # keep going to cp-2 although cp-1 answers its probes again.
        again = failover_stack.start_replica("cp-1", incarnation=2)
        replicas_started.append(again)
        await again.reaches("standby", 60)

        # Media never stopped: RTPengine holds it without any controller.
        await flowing(connected, alice, queued, in_ivr)
        # The IVR caller still walks the menu (its digits now reach cp-2).
        await in_ivr.rtp.press("1")
        # The agent hangs up the first call: the core takes the BYE to cp-2, which ends
        # the caller's side too.
        await alice.hang_up()
        await until(lambda: not connected.connected, 30, "first caller hung up by cp-2")
        # The queued caller kept its place: it reaches alice (hears her voice) before the
        # IVR caller, who only entered the queue through cp-2.
        heard = queued.rtp.echoed, in_ivr.rtp.echoed
        await until(lambda: queued.rtp.echoed > heard[0] + 25, 60, "queued caller hears alice")
        assert in_ivr.rtp.echoed == heard[1]
        await flowing(queued, alice)
        await queued.hang_up()
        await until(lambda: in_ivr.rtp.echoed > heard[1] + 25, 60, "IVR caller hears alice")
        await in_ivr.hang_up()

        cdrs = await until(lambda: _cdrs_when(3, one, two), 30, "three CDRs")
        assert not read_records(again.records, "cdr")  # the restarted standby held nothing
        ids = {c.invite.request.call_id for c in callers if c.invite is not None}
        assert set(cdrs) == ids
        assert all(len(rows) == 1 for rows in cdrs.values()), "one CDR per call"
        first = cdrs[connected.invite.request.call_id][0]  # type: ignore[union-attr]
        assert first["agent"] == "alice" and first["hangup_cause"] == "agent"
        order = [cdrs[c.invite.request.call_id][0] for c in (queued, in_ivr)]  # type: ignore[union-attr]
        assert all(row["agent"] == "alice" for row in order)


async def test_a_redis_outage_longer_than_the_lease_leaves_the_center_where_it_was(
        failover_stack: FailoverStack, replicas: tuple[Replica, Replica]) -> None:
    """Redis stops for twice the lease TTL and comes back empty (no persistence): the
    active replica keeps its calls, takes its lease again and writes its state back, so a
    kill -9 afterwards still hands every call over."""
    one, two = replicas
    topo = failover_stack.topo
    async with _parties(failover_stack, 195, 2) as (alice, callers, edge):
        connected, queued = callers
        assert (await connected.call("4008000003", topo.domain, edge)).status == 200
        await until(lambda: alice.dialogs, 30, "alice answers the first caller")
        assert (await queued.call("4008000003", topo.domain, edge)).status == 200
        await flowing(connected, alice, queued)

        failover_stack.redis.stop()
        await asyncio.sleep(6.0)  # two lease TTLs without a store
        await flowing(connected, alice, queued)  # calls go on without Redis
        failover_stack.redis.start()  # empty: it kept nothing on disk
        await asyncio.sleep(8.0)  # the standby's grace: the holder takes its lease again
        assert one.process.poll() is None and one.role() == "active"
        assert two.role() == "standby"

        os.kill(one.process.pid, signal.SIGKILL)
        one.process.wait(timeout=10)
        await two.reaches("active", 15)
        await alice.hang_up()
        await until(lambda: not connected.connected, 30, "first caller hung up by cp-2")
        heard = queued.rtp.echoed
        await until(lambda: queued.rtp.echoed > heard + 25, 60, "queued caller hears alice")
        await queued.hang_up()

        cdrs = await until(lambda: _cdrs_when(2, one, two), 30, "two CDRs")
        assert all(len(rows) == 1 and rows[0]["agent"] == "alice" for rows in cdrs.values())
