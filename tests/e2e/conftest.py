"""The call-path stack: real Kamailio tiers and RTPengine; the call controller runs in the
test's own event loop (so the test reads its sessions and its records directly)."""

from __future__ import annotations

import itertools
import shutil
import tempfile
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from analytics.sink import EventSink
from analytics.sink.backends.chdb_backend import ChdbBackend
from control_plane.calls.analytics_records import SinkRecords
from control_plane.calls.center import CenterConfig, load_center
from control_plane.calls.service import CallControllerService
from control_plane.calls.session import CallSession
from control_plane.db.credentials import SeatAccount
from control_plane.db.engine import make_engine
from control_plane.db.repos.center_seed import ensure_tenants
from control_plane.db.repos.recordings_repo import SqlRecordings
from control_plane.events.bus import EventBus
from control_plane.ivr.prompts import PromptLibrary, build_prompts
from control_plane.recordings.converter import RecordingConverter
from control_plane.runtime.metrics import ControlPlaneMetrics
from control_plane.runtime.stack import Stack
from control_plane.sipstack.peer import Peer
from control_plane.topology.model import Topology
from tests.phones import AgentPhone
from tests.support import free_prefix, relocated_demo, seat_accounts, seat_ip

CENTER = Path(__file__).parent / "center_fixture.toml"
_databases = itertools.count(1)


@dataclass
class CallStack:
    """Tiers + RTPengine without the control-plane daemon, and the seats' accounts."""

    topo: Topology
    stack: Stack
    run_dir: Path
    prompts: PromptLibrary
    center: CenterConfig
    seats: dict[str, SeatAccount] = field(default_factory=dict)


@contextmanager
def started_call_stack(center_file: Path, *, prefix: str = "cc-") -> Iterator[CallStack]:
    """Tiers + RTPengine of their own, prompts built, ``center_file`` loaded, and the seats of
    its agents (plus the supervisor seat ``sup-e2e``, no agent) given SIP credentials."""
    topo = relocated_demo(free_prefix())
    run_dir = Path(tempfile.mkdtemp(prefix=prefix, dir="/tmp"))
    stack = Stack(topo, run_dir / "stack", control_plane=False)
    prompts = build_prompts(run_dir / "prompts")
    center = load_center(center_file, prompts=prompts.names())
    stack.start()
    try:
        accounts = seat_accounts([*(a.seat for a in center.agents), "sup-e2e"], tenant="acme")
        stack.add_seats(accounts)
        yield CallStack(topo, stack, run_dir, prompts, center,
                        {a.username: a for a in accounts})
    finally:
        stack.stop()
        shutil.rmtree(run_dir, ignore_errors=True)


@pytest.fixture(scope="module")
def call_stack() -> Iterator[CallStack]:
    with started_call_stack(CENTER) as stack:
        yield stack


@dataclass
class RunningController:
    """The controller under test, its sink and every session it finished."""

    service: CallControllerService
    sink: EventSink
    backend: ChdbBackend
    recordings: Path
    finished: list[CallSession] = field(default_factory=list)

    def rows(self, sql: str) -> list[tuple[object, ...]]:
        """Query the call records (table names are qualified with the test's database)."""
        return self.backend.query(sql.replace("{db}", self.backend.database))


@pytest.fixture
async def controller(call_stack: CallStack,
                     chdb_session_backend: ChdbBackend) -> AsyncIterator[RunningController]:
    backend = chdb_session_backend
    backend.database = f"calls{next(_databases)}"
    spool = call_stack.run_dir / f"spool-{backend.database}"
    sink = EventSink(backend, spool)
    await sink.start()
    engine = make_engine(f"sqlite:///{call_stack.run_dir / 'stack' / 'callcenter.sqlite'}")
    ensure_tenants(engine, call_stack.center.time_zones.items())
    recordings = call_stack.run_dir / f"recordings-{backend.database}"
    recorder = RecordingConverter(
        spool_dir=call_stack.run_dir / "stack" / call_stack.topo.rtpengine.name / "recordings",
        recordings_root=recordings / "calls", voicemail_root=recordings / "voicemail",
        index=SqlRecordings(engine))
    service = CallControllerService(topology=call_stack.topo, center=call_stack.center,
                                    prompts=call_stack.prompts, records=SinkRecords(sink),
                                    metrics=ControlPlaneMetrics(), recorder=recorder,
                                    bus=EventBus())
    running = RunningController(service, sink, backend, recordings)
    service.controller.on_session_end = running.finished.append
    await service.start()
    try:
        yield running
    finally:
        await service.stop()
        await sink.close()
        engine.dispose()


@pytest.fixture
async def phones(call_stack: CallStack) -> AsyncIterator[dict[str, AgentPhone]]:
    """Softphones for alice, dave and the supervisor, registered through the city edge."""
    opened: dict[str, AgentPhone] = {}
    city = call_stack.topo.node("city-1")
    try:
        for host, seat in ((181, "alice-e2e"), (182, "dave-e2e"), (183, "sup-e2e")):
            phone = await AgentPhone.open(seat_ip(call_stack.topo, host))
            opened[seat] = phone
            status = await phone.register(Peer(city.address, city.sip_port), seat,
                                          call_stack.seats[seat].password)
            assert status == 200
        yield opened
    finally:
        for phone in opened.values():
            await phone.close()


def edge(stack: CallStack, name: str) -> Peer:
    """Where a caller sends its INVITE to enter through the edge ``name``."""
    node = stack.topo.node(name)
    return Peer(node.address, node.sip_port)
