"""The call controller follows a live province core (DESIGN §5 "Failover of queued calls", §12).

Every request the controller sends enters the tiers through one core of the pair: agent
INVITEs and callback legs go to ``ControllerContext.core``, and in-dialog requests (BYEs and
re-INVITEs to callers and agents) are routed by the pair's Record-Route name, which the UA
resolves through ``UserAgent.hosts``. If that core dies, offers fail and hangups never reach
the caller. So the controller probes both cores with SIP OPTIONS from its own UA (the cores
answer keepalive OPTIONS to themselves) and points both at a live one.

``CoreChoice`` is the pure decision (thresholds like the edges' dispatcher: probing every
second, a core is down after 2 missed answers); ``CoreWatch`` runs the probing rounds and
applies a switch; ``watch_cores`` wires it to a running controller in one line.
"""

from __future__ import annotations

import asyncio
import contextlib
import weakref
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

import structlog
from prometheus_client import CollectorRegistry, Counter, Gauge

from control_plane.calls.context import ControllerContext
from control_plane.runtime.metrics import ControlPlaneMetrics
from control_plane.sipstack.message import SipResponse
from control_plane.sipstack.peer import Peer
from control_plane.sipstack.ua import UserAgent
from control_plane.sipstack.uri import SipUri

log = structlog.get_logger(__name__)

# A probe answers whether one core is alive; it never raises.
Probe = Callable[[Peer], Awaitable[bool]]

DOWN_AFTER = 2  # missed answers in a row: the edges' dispatcher threshold (DESIGN §12)
# Answers in a row before a core that was down is used again. Longer than the ~3 s a
# restarted core needs to learn the seats from its peer (dmq_usrloc sync, DESIGN §12): an
# agent INVITE sent to it earlier would find no seat.
UP_AFTER = 5


def label(core: Peer) -> str:
    """How a core is named in logs and metric labels."""
    return f"{core.host}:{core.port}"


@dataclass
class CoreHealth:
    """What the probes said of one core so far."""

    core: Peer
    up: bool = True  # assumed up at start: the controller uses the first core, as before
    missed: int = 0  # consecutive probes without an answer
    answered: int = 0  # consecutive probes answered


class CoreChoice:
    """Which core of the pair the controller sends through: the first one (in topology
    order) that is up, so that traffic stays on core A whenever A is up; when none is up,
    the current one (there is nothing better to send to)."""

    def __init__(self, cores: Sequence[Peer], *, down_after: int = DOWN_AFTER,
                 up_after: int = UP_AFTER) -> None:
        if not cores:
            raise ValueError("core_watch.no_cores: the topology has no province core")
        if down_after < 1 or up_after < 1:
            raise ValueError("core_watch.bad_threshold: thresholds must be at least 1")
        self.health = [CoreHealth(core) for core in cores]
        self.down_after = down_after
        self.up_after = up_after
        self.current = cores[0]

    def observe(self, core: Peer, alive: bool) -> None:
        """One probe's outcome for ``core``."""
        health = self._health(core)
        if alive:
            health.answered, health.missed = health.answered + 1, 0
            if not health.up and health.answered >= self.up_after:
                health.up = True
        else:
            health.missed, health.answered = health.missed + 1, 0
            if health.up and health.missed >= self.down_after:
                health.up = False

    def is_up(self, core: Peer) -> bool:
        """What the thresholds currently say of ``core``."""
        return self._health(core).up

    def choose(self) -> Peer | None:
        """Apply the rule (see the class docstring); the new core if it changed, else None."""
        live = next((h.core for h in self.health if h.up), None)
        if live is None or live == self.current:
            return None
        self.current = live
        return live

    def _health(self, core: Peer) -> CoreHealth:
        for health in self.health:
            if health.core == core:
                return health
        raise KeyError(f"core_watch.unknown_core: {label(core)} is not a watched core")


class _Families:
    """The watcher's metric families, registered once per registry."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.up = Gauge("cc_controller_core_up",
                        "Province cores as the call controller's OPTIONS probes see them "
                        "(1 up, 0 down)", ["core"], registry=registry)
        self.current = Gauge("cc_controller_core_current",
                             "1 for the province core the call controller sends through",
                             ["core"], registry=registry)
        self.switches = Counter("cc_controller_core_switches_total",
                                "Times the call controller moved its traffic to another "
                                "province core, by the core it moved to", ["core"],
                                registry=registry)


_families: weakref.WeakKeyDictionary[CollectorRegistry, _Families] = (
    weakref.WeakKeyDictionary())


def _families_of(metrics: ControlPlaneMetrics) -> _Families:
    found = _families.get(metrics.registry)
    if found is None:
        found = _families[metrics.registry] = _Families(metrics.registry)
    return found


class CoreWatch:
    """Probing rounds every ``interval_s``; a change of choice is handed to ``apply``."""

    def __init__(self, choice: CoreChoice, probe: Probe, apply: Callable[[Peer], None], *,
                 interval_s: float = 1.0, metrics: ControlPlaneMetrics | None = None) -> None:
        self.choice = choice
        self.probe = probe
        self.apply = apply
        self.interval_s = interval_s
        self.families = _families_of(metrics) if metrics is not None else None
        self.switches: list[Peer] = []  # every core moved to, in order
        self._task: asyncio.Task[None] | None = None
        self._publish()

    async def round(self) -> Peer | None:
        """Probe every core once (concurrently), then switch if the choice changed."""
        cores = [h.core for h in self.choice.health]
        outcomes = await asyncio.gather(*(self.probe(core) for core in cores))
        for core, alive in zip(cores, outcomes, strict=True):
            was_up = self.choice.is_up(core)
            self.choice.observe(core, alive)
            if was_up != self.choice.is_up(core):
                log.warning("province core " + ("up" if alive else "down"), core=label(core))
        before = self.choice.current
        moved = self.choice.choose()
        if moved is not None:
            self.apply(moved)
            self.switches.append(moved)
            if self.families is not None:
                self.families.switches.labels(core=label(moved)).inc()
            log.warning("call controller switched province core", previous=label(before),
                        now=label(moved))
        elif not any(self.choice.is_up(core) for core in cores):
            log.error("no province core answers; still sending to", core=label(before))
        self._publish()
        return moved

    def _publish(self) -> None:
        if self.families is None:
            return
        for health in self.choice.health:
            name = label(health.core)
            self.families.up.labels(core=name).set(1 if health.up else 0)
            self.families.current.labels(core=name).set(
                1 if health.core == self.choice.current else 0)

    def start(self) -> CoreWatch:
        """Run the rounds in the background until `stop`."""
        self._task = asyncio.get_running_loop().create_task(self._run())
        return self

    async def _run(self) -> None:
        while True:
            try:
                await self.round()
            except Exception as exc:  # a broken round must not end the watching
                log.error("core watch round failed", error=repr(exc))
            await asyncio.sleep(self.interval_s)

    async def stop(self) -> None:
        """End the rounds (the current choice stays in force)."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None


def options_probe(ua: UserAgent, *, timeout_s: float) -> Probe:
    """A probe sending OPTIONS from ``ua``: alive when the core answers within
    ``timeout_s`` with anything but a timeout or a server failure (a core that answers
    503 is shedding load: send elsewhere while it does)."""
    async def probe(core: Peer) -> bool:
        request = ua.new_request("OPTIONS", SipUri(host=core.host, port=core.port))
        answer: asyncio.Future[int] = asyncio.get_running_loop().create_future()

        def on_response(response: SipResponse) -> None:
            if response.status >= 200 and not answer.done():
                answer.set_result(response.status)

        txn = ua.layer.send_request(request, core, on_response)
        try:
            status = await asyncio.wait_for(answer, timeout_s)
        except TimeoutError:
            return False
        finally:
            # A probe lives one round, not Timer F's 32 s: a dead core would otherwise
            # collect a transaction (and its retransmissions) every second.
            txn.terminate()
        return status < 500 and status != 408

    return probe


def watch_cores(ua: UserAgent, ctx: ControllerContext, cores: Sequence[Peer], pair_host: str,
                metrics: ControlPlaneMetrics | None = None, *,
                interval_s: float = 1.0) -> CoreWatch:
    """Start watching ``cores`` for a running controller: on a switch, the pair's
    Record-Route name (``ua.hosts[pair_host]``) and new legs (``ctx.core``) follow."""
    def apply(core: Peer) -> None:
        ua.hosts[pair_host] = core
        ctx.core = core

    choice = CoreChoice(cores)
    return CoreWatch(choice, options_probe(ua, timeout_s=interval_s), apply,
                     interval_s=interval_s, metrics=metrics).start()


async def stop_watch(watch: CoreWatch | None) -> None:
    """Stop ``watch`` if one was started (the controller's `stop` may come before `start`)."""
    if watch is not None:
        await watch.stop()
