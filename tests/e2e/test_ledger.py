"""The no-call-lost ledger (issue #5): N callers of mixed outcomes through the real tiers to
the in-process call controller; every call placed has exactly one accounting record at the
province cores and exactly one terminal CDR in the analytics backend.

Outcomes mixed in one run, a few calls per second:
- answered by a seat (some after ringing bob, who never answers: ring-no-answer, CANCEL,
  then offered to the next agent);
- abandoned by the caller in the sales queue, whose only agent never answers;
- hung up by the caller during the IVR's welcome.
"""

from __future__ import annotations

import asyncio
import itertools
import shutil
import subprocess
import tempfile
import tomllib
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from analytics.sink import EventSink
from analytics.sink.backends.chdb_backend import ChdbBackend
from control_plane.calls.analytics_records import SinkRecords
from control_plane.calls.center import CenterConfig, parse_center
from control_plane.calls.service import CallControllerService
from control_plane.calls.session import CallSession, Phase
from control_plane.ivr.prompts import PromptLibrary, build_prompts
from control_plane.runtime.stack import Stack
from control_plane.sipstack.peer import Peer
from control_plane.topology.model import Role, Topology
from loadtests.ledger import CdrRow, LedgerReport, read_acc, reconcile
from tests.callers import Caller, until
from tests.e2e.conftest import CENTER
from tests.support import answering_seat, free_prefix, register_seat, relocated_demo, seat_accounts

SUPPORT, SALES, IVR = "4008000003", "4008000004", "4008000001"
NEVER_ANSWER = ("bob", "dave")
ANSWERING = ("alice", "carol", "erin", "frank")
# (kind, count): 40 calls, placed 4 per second.
PLAN = (("answered", 24), ("abandoned", 10), ("ivr_hangup", 6))
RATE = 4.0
_databases = itertools.count(1)


def _center(prompts: frozenset[str]) -> CenterConfig:
    """The call-path tests' tenant and IVR, with queues that ring bob/dave first and never
    pause them (so ring-no-answer keeps happening) and four answering agents."""
    raw = tomllib.loads(CENTER.read_text(encoding="utf-8"))
    tenant = raw["tenant"][0]
    tenant["queue"] = [
        {"id": "support", "skills": [{"skill": "tech", "min": 1}], "strategy": "top-down",
         "ring_timeout_s": 3, "pause_on_no_answer": False},
        {"id": "sales", "skills": [{"skill": "sales", "min": 1}], "strategy": "top-down",
         "ring_timeout_s": 3, "pause_on_no_answer": False},
    ]
    raw["agent"] = [
        {"tenant": "acme", "id": "bob", "seat": "bob-led", "order": 1, "skills": {"tech": 5}},
        {"tenant": "acme", "id": "dave", "seat": "dave-led", "order": 1,
         "skills": {"sales": 5}},
        *({"tenant": "acme", "id": a, "seat": f"{a}-led", "order": 2 + i,
           "skills": {"tech": 3}} for i, a in enumerate(ANSWERING)),
    ]
    raw["route"] = [{"number": IVR, "tenant": "acme", "flow": "main"},
                    {"number": SUPPORT, "tenant": "acme", "queue": "support"},
                    {"number": SALES, "tenant": "acme", "queue": "sales"}]
    return parse_center(raw, prompts=prompts)


@dataclass
class LedgerStack:
    """Tiers + RTPengine, the seats (registered, their phones running) and the center."""

    topo: Topology
    stack: Stack
    run_dir: Path
    prompts: PromptLibrary
    center: CenterConfig
    phones: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def ip(self, host: int) -> str:
        """An address of the stack's own loopback range."""
        return self.topo.nodes[0].address.rsplit(".", 1)[0] + f".{host}"

    def core_dirs(self) -> list[Path]:
        """Run dirs of the province cores (their accounting files live there)."""
        return [self.stack.run_dir / n.name for n in self.topo.by_role(Role.PROVINCE)]


@pytest.fixture(scope="module")
def ledger_stack() -> Iterator[LedgerStack]:
    topo = relocated_demo(free_prefix())
    run_dir = Path(tempfile.mkdtemp(prefix="cc-led-", dir="/tmp"))
    stack = Stack(topo, run_dir / "stack", control_plane=False)
    prompts = build_prompts(run_dir / "prompts")
    center = _center(prompts.names())
    stack.start()
    running = LedgerStack(topo, stack, run_dir, prompts, center)
    try:
        accounts = seat_accounts([a.seat for a in center.agents], tenant="acme")
        stack.add_seats(accounts)
        city = topo.node("city-1")
        for index, account in enumerate(accounts):
            ip = running.ip(160 + index)
            reg = register_seat(f"{city.address}:5060", account, ip, run_dir / "seats")
            assert reg.successful == 1, reg.output
            silent = account.username.removesuffix("-led") in NEVER_ANSWER
            running.phones.append(answering_seat(
                ip, run_dir / "seats", calls=1000, ring_ms=600_000 if silent else 300,
                rtp_echo=not silent))
        yield running
    finally:
        for phone in running.phones:
            phone.kill()
            phone.wait(10)
        stack.stop()
        shutil.rmtree(run_dir, ignore_errors=True)


@dataclass
class Controller:
    """The controller under test, its chDB sink and the sessions it finished."""

    service: CallControllerService
    sink: EventSink
    backend: ChdbBackend
    finished: list[CallSession] = field(default_factory=list)


@pytest.fixture
async def controller(ledger_stack: LedgerStack,
                     chdb_session_backend: ChdbBackend) -> AsyncIterator[Controller]:
    backend = chdb_session_backend
    backend.database = f"ledger{next(_databases)}"
    sink = EventSink(backend, ledger_stack.run_dir / f"spool-{backend.database}")
    await sink.start()
    service = CallControllerService(topology=ledger_stack.topo, center=ledger_stack.center,
                                    prompts=ledger_stack.prompts, records=SinkRecords(sink))
    running = Controller(service, sink, backend)
    service.controller.on_session_end = running.finished.append
    await service.start()
    try:
        yield running
    finally:
        await service.stop()
        await sink.close()


async def _one_call(kind: str, index: int, stack: LedgerStack, ctl: Controller,
                    placed: dict[str, str]) -> None:
    """Place one call and behave as ``kind`` says; its Call-ID goes to ``placed`` as soon
    as the INVITE is sent (a call counts even if it fails afterwards)."""
    county = stack.topo.node("county-1")
    caller = await Caller.open(stack.ip(100 + index))
    number = {"answered": SUPPORT, "abandoned": SALES, "ivr_hangup": IVR}[kind]
    try:
        call = asyncio.ensure_future(caller.call(number, "cc.local",
                                                 Peer(county.address, county.sip_port),
                                                 caller_number=f"1390000{index:04d}"))
        await until(lambda: caller.invite is not None, within=5)
        assert caller.invite is not None
        placed[caller.invite.request.call_id] = kind
        answer = await call
        assert answer.status == 200, (kind, answer.status)
        session = ctl.service.controller.sessions[answer.call_id]
        if kind == "answered":
            await until(lambda: session.phase is Phase.CONNECTED, within=60,
                        why=session.record)
            await asyncio.sleep(1.0)  # talk
        elif kind == "abandoned":
            await until(lambda: session.phase is Phase.QUEUED, within=10, why=session.record)
            await asyncio.sleep(2.5)  # dave rings, nobody answers: the caller gives up
        else:
            await asyncio.sleep(1.0)  # still in the welcome prompt
        await caller.hang_up()
    finally:
        await caller.close()


async def test_every_placed_call_has_one_acc_record_and_one_terminal_cdr(
    ledger_stack: LedgerStack, controller: Controller,
) -> None:
    # Interleaved, so that every stage is busy at once.
    kinds = [k for k, _ in sorted(((k, i / n) for k, n in PLAN for i in range(n)),
                                  key=lambda pair: pair[1])]
    placed: dict[str, str] = {}
    tasks = []
    for index, kind in enumerate(kinds):
        tasks.append(asyncio.ensure_future(_one_call(kind, index, ledger_stack, controller,
                                                     placed)))
        await asyncio.sleep(1 / RATE)
    results = await asyncio.gather(*tasks, return_exceptions=True)
    failures = [(k, r) for k, r in zip(kinds, results, strict=True) if r is not None]
    assert not failures, failures
    await until(lambda: len(controller.finished) >= len(kinds), within=30,
                why=f"{len(controller.finished)} of {len(kinds)} sessions finished")
    await controller.sink.flush()

    cdrs = [CdrRow(str(c), str(h), int(str(s)), str(q), str(a)) for c, h, s, q, a in
            controller.backend.query(
                "SELECT call_id, hangup_cause, sip_code, queue, agent "
                f"FROM {controller.backend.database}.cdr FINAL")]

    def ledger() -> LedgerReport | None:
        report = reconcile(placed, read_acc(ledger_stack.core_dirs()), cdrs)
        return report if report.answered_without_bye == 0 and report.in_acc == len(placed) \
            else None

    try:  # the BYEs' final answers reach the cores' accounting a moment after the CDRs
        report = await until(ledger, within=10)
    except AssertionError:
        report = reconcile(placed, read_acc(ledger_stack.core_dirs()), cdrs)
    assert report.placed == len(kinds) == sum(n for _, n in PLAN)
    assert report.lost == 0, report.problems
    assert report.duplicated == 0, report.problems
    assert report.in_acc == report.in_cdr == report.placed
    assert report.answered_without_bye == 0, report.problems
    assert not report.problems

    # The mix really happened: each call's CDR says what its caller did.
    by_id = {c.call_id: c for c in cdrs}
    for call_id, kind in placed.items():
        cdr = by_id[call_id]
        assert cdr.hangup_cause == "caller", cdr
        if kind == "answered":
            assert (cdr.queue, cdr.agent in ANSWERING) == ("support", True), cdr
        elif kind == "abandoned":
            assert (cdr.queue, cdr.agent) == ("sales", ""), cdr
        else:
            assert (cdr.queue, cdr.agent) == ("", ""), cdr
    records = {s.call_id: s.record for s in controller.finished}
    # Bob rang first and never answered, then another agent took the call.
    assert any(r.offers and r.offers[0].agent == "bob" and r.offers[0].result != "answered"
               and r.offers[-1].result == "answered" for r in records.values())
    # Dave rang for abandoned callers and never answered.
    assert any(o.agent == "dave" for r in records.values() for o in r.offers)
