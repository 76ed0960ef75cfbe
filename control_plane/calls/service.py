"""Starts and stops one call controller: SIP socket, ng client, DTMF listener, ACD engine.

The composition root (or a test) builds it from the topology, the center configuration,
the prompt library and a record sink; nothing here knows where records end up.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

import structlog

from control_plane.acd.commands import DecisionRecord
from control_plane.acd.engine import Engine
from control_plane.acd.events import QueueUpserted, TenantUpserted
from control_plane.acd.model import QueueRef
from control_plane.calls.acd_driver import AcdDriver, DecisionSink
from control_plane.calls.agent_states import AgentStateRecorder, run_sweeps
from control_plane.calls.center import CenterConfig
from control_plane.calls.context import (
    ControllerContext,
    Notifier,
    Recorder,
    RecordSink,
    Webhook,
)
from control_plane.calls.controller import CallController
from control_plane.calls.core_watch import CoreWatch, stop_watch, watch_cores
from control_plane.calls.metrics import CallMetrics, gauge_sampler, run_sampler
from control_plane.calls.session import Phase
from control_plane.events.bus import EventBus
from control_plane.ivr.prompts import PromptLibrary
from control_plane.media.dtmf import DtmfListener
from control_plane.media.ng import NgClient
from control_plane.runtime.metrics import ControlPlaneMetrics
from control_plane.sipstack.peer import Peer
from control_plane.sipstack.ua import DEFAULT_ALLOW, UserAgent
from control_plane.topology.model import ControlPlaneNode, Role, Topology

if TYPE_CHECKING:
    from control_plane.calls.failover.takeover import ReplicaRole

log = structlog.get_logger(__name__)


@dataclass
class ControllerSettings:
    """Tunables of one controller."""

    max_calls: int = 2000
    drain_seconds: float = 5.0
    record_calls: bool = True
    # Which control-plane replica of the topology this is (None: the first).
    replica: str | None = None
    # With a shared store, replicas serve one center active/standby (calls/failover).
    failover_redis_url: str | None = None
    lease_ttl_s: float = 3.0


class CallControllerService:
    """One running controller (see the module docstring)."""

    def __init__(self, *, topology: Topology, center: CenterConfig, prompts: PromptLibrary,
                 records: RecordSink, webhook: Webhook | None = None,
                 on_decision: DecisionSink | None = None,
                 settings: ControllerSettings | None = None,
                 metrics: ControlPlaneMetrics | None = None,
                 recorder: Recorder | None = None, bus: EventBus | None = None,
                 notify: Notifier | None = None) -> None:
        self.topology = topology
        self.center = center
        self.prompts = prompts
        self.records = records
        self.webhook = webhook
        self.on_decision = on_decision
        self.settings = settings or ControllerSettings()
        self.metrics = metrics
        self.recorder = recorder
        self.bus = bus
        self.notify = notify
        self.call_metrics = CallMetrics(metrics)
        self._sampler: asyncio.Task[None] | None = None
        self.controller = CallController(max_calls=self.settings.max_calls)
        self.ua: UserAgent | None = None
        self.ng: NgClient | None = None
        self.dtmf: DtmfListener | None = None
        self.driver: AcdDriver | None = None
        self.role: ReplicaRole | None = None
        self.agent_states: AgentStateRecorder | None = None
        self._sweeps: asyncio.Task[None] | None = None
        self.core_watch: CoreWatch | None = None  # follows a live province core

    def _cores(self) -> list[Peer]:
        return [Peer(n.address, n.sip_port) for n in self.topology.by_role(Role.PROVINCE)]

    def _replica(self) -> ControlPlaneNode:
        wanted = self.settings.replica
        for node in self.topology.control_planes:
            if wanted is None or node.name == wanted:
                return node
        raise ValueError(f"no control-plane replica named {wanted!r} in the topology")

    async def start(self) -> None:
        """Bind everything and log in the configured agents (or, with failover, stand by
        until this replica holds the center)."""
        topo = self.topology
        cp = topo.control_plane  # RTPengine reports digits to the first replica's address
        me = self._replica()
        cores = self._cores()
        self.ua = UserAgent(me.address, me.sip_port, handler=self.controller, user="cc",
                            hosts={topo.core_pair_host: cores[0]},
                            allow=(*DEFAULT_ALLOW, "REFER", "NOTIFY"))
        await self.ua.start()
        self.ng = NgClient((topo.rtpengine.address, topo.rtpengine.ng_port), timeout=1.0,
                           retries=2, on_round_trip=self.call_metrics.ng_round_trip)
        await self.ng.start()
        self.dtmf = DtmfListener((cp.address, cp.dtmf_port), self.controller.on_dtmf)
        if self.settings.failover_redis_url is None:
            await self.dtmf.start()
        engine = Engine(clock=time.perf_counter)
        self.driver = AcdDriver(engine, on_command=self.controller.on_command,
                                on_decision=self._decided)
        self.configure_acd()
        # Occupancy and utilization come from these intervals (analytics agent_states).
        self.agent_states = AgentStateRecorder(self._engine, self.records, wall=time.time)
        self.driver.observers.append(self.agent_states.observe)
        self._sweeps = asyncio.get_running_loop().create_task(run_sweeps(self.agent_states))
        ctx = ControllerContext(ua=self.ua, ng=self.ng, center=self.center,
                                prompts=self.prompts, acd=self.driver, records=self.records,
                                core=cores[0], node=cp.name, webhook=self.webhook,
                                metrics=self.call_metrics, recorder=self.recorder,
                                record_calls=self.settings.record_calls, bus=self.bus,
                                notify=self.notify)
        self.controller.attach(ctx)
        self.core_watch = watch_cores(self.ua, ctx, cores, topo.core_pair_host, self.metrics)
        if self.settings.failover_redis_url is not None:
            from control_plane.calls.failover.wiring import start_role

            self.role = start_role(self, me, self.settings.failover_redis_url)
        else:
            self.controller.login_agents()
        if self.metrics is not None:
            sample = gauge_sampler(self.metrics, self.center,
                                   waiting=lambda q: self._engine().waiting(q),
                                   oldest=self._oldest_wait,
                                   agent_state=lambda a: self._engine().agent_state(a).value,
                                   active=lambda: len(self.controller.sessions))
            self._sampler = asyncio.get_running_loop().create_task(run_sampler(sample))
        log.info("call controller started", sip=f"{cp.address}:{cp.sip_port}",
                 agents=len(self.center.agents), numbers=len(self.center.routes))

    def _engine(self) -> Engine:
        assert self.driver is not None
        return self.driver.engine

    def configure_acd(self) -> None:
        """Hand the center's tenants and queues to the ACD (upserts: safe to repeat)."""
        assert self.driver is not None
        for tenant in self.center.tenants.values():
            self.driver.apply(TenantUpserted(config=tenant))
        for queue in self.center.queues.values():
            self.driver.apply(QueueUpserted(config=queue))

    def _decided(self, record: DecisionRecord) -> None:
        self.call_metrics.decided(record.elapsed_us)
        if self.on_decision is not None:
            self.on_decision(record)

    def _oldest_wait(self, queue: QueueRef) -> float:
        now = time.time()
        waits = [now - s.record.enqueued_at for s in self.controller.sessions.values()
                 if s.phase is Phase.QUEUED and (s.route.tenant, s.record.queue) == queue]
        return max(waits, default=0.0)

    async def stop(self) -> None:
        """End every call (BYE, records written), then close the sockets."""
        if self._sampler is not None:
            self._sampler.cancel()
        await stop_watch(self.core_watch)
        if self.role is not None:
            await self.role.close()
        if self._sweeps is not None:
            self._sweeps.cancel()
        sessions = list(self.controller.sessions.values())
        for session in sessions:
            session.end("controller_shutdown")
        tasks = [s.task for s in sessions if s.task is not None]
        if tasks:
            await asyncio.wait(tasks, timeout=self.settings.drain_seconds)
        if self.agent_states is not None:  # the last intervals close with the controller
            self.agent_states.close()
            await self.agent_states.drain()
        if self.driver is not None:
            self.driver.close()
        if self.dtmf is not None:
            self.dtmf.close()
        if self.ng is not None:
            self.ng.close()
        if self.ua is not None:
            await self.ua.close()
        if self.controller.ctx is not None and self.controller.ctx.background:
            # Conversions of the last calls' recordings finish before we go.
            await asyncio.wait(list(self.controller.ctx.background), timeout=30)
