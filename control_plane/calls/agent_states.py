"""Agents' state intervals for analytics (`agent_states`: occupancy and utilization are
computed from them): one row per closed interval while the agent is logged in.

The ACD engine knows each agent's state but not since when; this recorder watches it — on
every ACD command that names an agent, and once a second for changes no command announces
(a desk's "ready") — and writes the interval that just closed. Rows are keyed by agent and
start time, so a retried write never double-counts.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass

import structlog

from control_plane.acd import commands as cmd
from control_plane.acd.engine import Engine
from control_plane.acd.model import AgentRef, AgentState
from control_plane.calls.context import RecordSink

log = structlog.get_logger(__name__)

# The ACD's states → the analytics vocabulary (analytics/schema/tables.py AGENT_STATES).
ANALYTICS_STATE = {AgentState.READY: "available", AgentState.OFFERED: "ringing",
                   AgentState.ON_CALL: "talk", AgentState.WRAP_UP: "wrap",
                   AgentState.PAUSED: "paused"}


@dataclass(frozen=True, slots=True)
class Held:
    """What an agent is doing and since when (wall clock)."""

    state: AgentState
    reason: str
    since: float


def interval_row(agent: AgentRef, held: Held, ended_at: float) -> dict[str, object] | None:
    """The `agent_states` row of one closed interval (None while logged out or empty)."""
    state = ANALYTICS_STATE.get(held.state)
    if state is None or ended_at <= held.since:
        return None
    return {"event_id": f"{agent.tenant}:{agent.agent}:{held.since:.3f}",
            "tenant": agent.tenant, "agent": agent.agent, "state": state,
            "reason": held.reason if held.state is AgentState.PAUSED else "",
            "started_at": held.since, "ended_at": ended_at}


class AgentStateRecorder:
    """Closes agents' intervals as their state changes (see the module docstring)."""

    def __init__(self, engine: Callable[[], Engine], records: RecordSink, *,
                 wall: Callable[[], float]) -> None:
        self._engine = engine
        self._records = records
        self._wall = wall
        self._held: dict[AgentRef, Held] = {}
        self._writes: set[asyncio.Task[None]] = set()

    def observe(self, command: cmd.Command) -> None:
        """An ACD command: look at the agent it names, if any."""
        agent = getattr(command, "agent", None)
        if isinstance(agent, AgentRef):
            self.check(agent)

    def sweep(self) -> None:
        """Look at every agent (changes no command announced; logged-out ones close)."""
        engine = self._engine()
        for ref in set(engine.state.agents) | set(self._held):
            self.check(ref)

    def check(self, agent: AgentRef) -> None:
        """Close the agent's interval if its state or pause reason changed."""
        live = self._engine().state.agents.get(agent)
        state = AgentState.LOGGED_OUT if live is None else live.state
        reason = (live.pause_reason or "") if live is not None else ""
        held = self._held.get(agent)
        if held is not None and held.state is state and held.reason == reason:
            return
        now = self._wall()
        if held is not None:
            row = interval_row(agent, held, now)
            if row is not None:
                self._write(row)
        if state is AgentState.LOGGED_OUT:
            self._held.pop(agent, None)
        else:
            self._held[agent] = Held(state, reason, now)

    def close(self) -> None:
        """Close every open interval now (the controller stops)."""
        now = self._wall()
        for agent, held in list(self._held.items()):
            row = interval_row(agent, held, now)
            if row is not None:
                self._write(row)
        self._held.clear()

    async def drain(self) -> None:
        """Wait for the writes under way."""
        if self._writes:
            await asyncio.gather(*self._writes, return_exceptions=True)

    def _write(self, row: dict[str, object]) -> None:
        async def write() -> None:
            try:
                await self._records.write("agent_states", row)
            except Exception as exc:  # the sink spools; a refusal is logged with the row
                log.error("agent state row not accepted", row=row, error=str(exc))

        task = asyncio.get_running_loop().create_task(write())
        self._writes.add(task)
        task.add_done_callback(self._writes.discard)


async def run_sweeps(recorder: AgentStateRecorder, period_s: float = 1.0) -> None:
    """Sweep every ``period_s`` until cancelled."""
    while True:
        await asyncio.sleep(period_s)
        try:
            recorder.sweep()
        except Exception:
            log.exception("agent state sweep failed")
