"""KPIs computed by analytics equal the ACD simulator's own counters for the same traffic.

The real simulator (``python -m control_plane.acd.sim --json``) runs a seeded office day;
the same day, recorded call by call (analytics.simfeed), becomes the rows the controller
writes, goes through the real sink into chDB and into clickhouse-server 18.16, and the
KPI queries read it back per queue.

Where the definitions match the figures are equal (counts and ratios of counts exactly;
averages of durations within the 1 ms the rows' integer milliseconds lose per call).
Where they differ, the difference is asserted:

* service level: analytics divides by answered + abandoned (− short abandons); the
  simulator by every offered call (overflows and time-outs too);
* AHT: analytics is talk + hold + wrap (industry); the simulator's is talk only, so
  analytics = simulator + the queue's wrap-up;
* occupancy: the simulator's per-queue figure is the queue's handling time over the
  logged-in time of the agents eligible for it; analytics keeps state time per agent, so
  it is rebuilt from ``queue_calls`` handling and ``agent_states`` logged-in time. State
  instants are whole seconds (DateTime), so logged-in time may differ by < 1 s per session;
* the simulator's centre-wide figure is analytics' *utilization* (busy ÷ logged in; the
  analytics *occupancy* leaves pauses out), except that the simulator counts the whole
  wrap-up of a call hung up just before it stops its clocks, which no agent state holds.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from analytics.kpis import Dimension, Grain, KpiQuery, Source, agent_time, queue_kpis
from analytics.kpis.results import AgentTime, QueueKpis
from analytics.simfeed import SimHistory, call_rows, record, state_rows
from analytics.sink.backend import AnalyticsBackend
from analytics.sink.backends.chdb_backend import ChdbBackend
from analytics.sink.backends.clickhouse_backend import ClickHouseBackend
from analytics.sink.contract import SinkConfig
from analytics.sink.writer import EventSink
from control_plane.acd.sim.scenarios import office
from tests.integration.analytics.clickhouse_server import RunningClickHouse
from tests.integration.analytics.conftest import fresh_database

# Two 6-hour shifts (logins and logouts), four queues, impatient callers, 2 % ring-no-answer.
QUEUES, AGENTS, HOURS, CALLS_PER_HOUR, SEED = 4, 44, 12.0, 60.0, 11
STRATEGY = "longest-idle"
TZ = ZoneInfo("Asia/Shanghai")
BASE = datetime(2026, 3, 2, 7, 0, tzinfo=TZ)  # the office scenario starts at 07:00
MS = 0.001  # what integer milliseconds lose per call, at most


@pytest.fixture(scope="module")
def simulator() -> dict[str, Any]:
    """The simulator's own report, from its command line."""
    out = subprocess.run(
        [sys.executable, "-m", "control_plane.acd.sim", "--scenario", "office",
         "--queues", str(QUEUES), "--agents", str(AGENTS), "--hours", str(HOURS),
         "--calls-per-hour", str(CALLS_PER_HOUR), "--seed", str(SEED),
         "--strategy", STRATEGY, "--json", "--no-progress"],
        check=True, capture_output=True, text=True, timeout=120)
    report: dict[str, Any] = json.loads(out.stdout)[0]
    return report


@pytest.fixture(scope="module")
def history() -> SimHistory:
    """The same run, call by call and state by state."""
    scenario = office(QUEUES, AGENTS, hours=HOURS, seed=SEED, calls_per_hour=CALLS_PER_HOUR)
    return record(scenario, STRATEGY)


@dataclass
class Loaded:
    """An engine holding the run's rows, and what the sink reported."""

    backend: AnalyticsBackend
    rows: int
    accepted: int
    rejected: int


async def _ingest(backend: AnalyticsBackend, spool: Path, history: SimHistory) -> Loaded:
    base = int(BASE.timestamp())
    events = [*call_rows(history, base), *(("agent_states", r) for r in state_rows(history, base))]
    sink = EventSink(backend, spool, SinkConfig(flush_interval_s=60))
    await sink.start()
    result = await sink.emit_many(events)
    await sink.flush()
    await sink.close()
    return Loaded(backend, len(events), result.accepted, result.rejected)


@pytest.fixture(scope="module", params=["chdb", "server"])
def loaded(request: pytest.FixtureRequest, history: SimHistory,
           tmp_path_factory: pytest.TempPathFactory) -> Iterator[Loaded]:
    backend: AnalyticsBackend
    if request.param == "chdb":
        backend = request.getfixturevalue("chdb_session_backend")
        assert isinstance(backend, ChdbBackend)
        backend.database = fresh_database()
    else:
        server: RunningClickHouse = request.getfixturevalue("clickhouse_server")
        backend = ClickHouseBackend(server.host, server.port, database=fresh_database())
    spool = tmp_path_factory.mktemp(f"spool-{request.param}")
    yield asyncio.run(_ingest(backend, spool, history))
    if request.param == "server":
        backend.close()


def _query(**kw: Any) -> KpiQuery:
    return KpiQuery(tenant="sim", start=BASE.replace(hour=0), end=BASE.replace(day=5, hour=0),
                    grain=Grain.MONTH, tz=str(TZ), **kw)


def _per_queue(backend: AnalyticsBackend, source: Source) -> dict[str, QueueKpis]:
    rows = queue_kpis(backend, _query(by=(Dimension.QUEUE,), sl_threshold_s=20, source=source))
    assert len(rows) == QUEUES  # one month bucket per queue
    return {r.group["queue"]: r for r in rows}


def _seconds_per_agent(backend: AnalyticsBackend) -> dict[str, AgentTime]:
    return {t.group["agent"]: t for t in agent_time(backend, _query(by=(Dimension.AGENT,)))}


def test_the_recorded_run_is_the_simulators_run(
        simulator: dict[str, Any], history: SimHistory) -> None:
    tallies: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for call in history.calls.values():
        assert call.outcome is not None
        tallies[call.arrival.queue][call.outcome.value] += 1
    for queue, figures in simulator["queues"].items():
        t = tallies[queue]
        assert t["answered"] == figures["answered"]
        assert t["abandoned"] == figures["abandoned"]
        assert sum(t.values()) == figures["offered"]
    # The scenario exercises what the KPIs must survive: logouts, pauses, long waits.
    states = {s.state.value for s in history.spans}
    assert {"ready", "offered", "on_call", "wrap_up", "paused"} <= states
    assert simulator["total"]["abandoned"] > 0


def test_every_row_lands_through_the_sink(loaded: Loaded) -> None:
    assert (loaded.accepted, loaded.rejected) == (loaded.rows, 0)
    db = loaded.backend.database
    counted = sum(int(str(loaded.backend.query(f"SELECT count() FROM {db}.{t}")[0][0]))
                  for t in ("cdr", "queue_calls", "agent_states"))
    assert counted == loaded.rows


@pytest.mark.parametrize("source", [Source.ROLLUP, Source.RAW])
def test_queue_kpis_equal_the_simulators(
        loaded: Loaded, simulator: dict[str, Any], history: SimHistory, source: Source) -> None:
    wraps = {q.config.queue_id: q.config.wrap_up_s for q in history.scenario.queues}
    for queue, k in _per_queue(loaded.backend, source).items():
        sim = simulator["queues"][queue]
        assert (k.offered, k.answered, k.abandoned) == (
            sim["offered"], sim["answered"], sim["abandoned"])
        other = k.offered - k.answered - k.abandoned
        assert other == sim["other"]
        # Same numerator (answered within 20 s); the denominators differ by `other`.
        assert k.answered_within / k.offered == sim["service_level"]
        assert k.service_level == k.answered_within / (k.answered + k.abandoned)
        assert k.abandonment_rate == sim["abandonment"]
        assert k.asa_s is not None and k.aht_s is not None
        assert abs(k.asa_s - sim["asa_s"]) <= MS
        assert abs(k.aht_s - (sim["aht_s"] + wraps[queue])) <= MS


def test_per_queue_occupancy_equals_the_simulators(
        loaded: Loaded, simulator: dict[str, Any], history: SimHistory) -> None:
    per_agent = _seconds_per_agent(loaded.backend)
    for queue, k in _per_queue(loaded.backend, Source.ROLLUP).items():
        config = next(q.config for q in history.scenario.queues if q.config.queue_id == queue)
        eligible = [a.name for a in history.scenario.agents
                    if all(a.skills.get(r.skill, 0) >= r.min_proficiency for r in config.skills)]
        busy_s = (k.talk_ms + k.hold_ms + k.wrap_ms) / 1000
        staffed_s = sum(per_agent[a].logged_in_s for a in eligible)
        occupancy = simulator["queues"][queue]["occupancy"]
        # Handling in ms (< 1 ms lost per call); each agent's one login session in whole
        # seconds (its contiguous states telescope: < 1 s lost per session).
        bound = k.answered * MS + occupancy * len(eligible)
        assert abs(busy_s - occupancy * staffed_s) <= bound, (queue, busy_s / staffed_s)


def test_centre_utilization_is_the_simulators_occupancy(
        loaded: Loaded, simulator: dict[str, Any], history: SimHistory) -> None:
    per_agent = _seconds_per_agent(loaded.backend)
    busy = sum(t.busy_s for t in per_agent.values())
    logged_in = sum(t.logged_in_s for t in per_agent.values())
    # The simulator books a call's whole wrap-up when it hangs up; agent states end at the
    # agent's logout (end of shift, accepted during wrap-up) or where the simulator stops
    # its clocks. That tail of wrap-up is no agent's state time.
    session_end: dict[str, float] = defaultdict(float)
    for span in history.spans:
        session_end[span.agent] = max(session_end[span.agent], span.end)
    tail = sum(max(0.0, c.hung_up_at + c.wrap_s - session_end[c.agent])
               for c in history.calls.values() if c.hung_up_at is not None and c.agent)
    assert tail > 0  # the scenario does log agents out in wrap-up
    # Busy states in whole seconds: a call's talk and wrap-up are contiguous (< 1 s lost
    # per answered call); logged-in time < 1 s per agent's single session.
    answered = simulator["total"]["answered"]
    occupancy = simulator["total"]["occupancy"]
    bound = answered * 1.0 + occupancy * len(per_agent)
    assert abs(busy + tail - occupancy * logged_in) <= bound, (busy / logged_in, occupancy)
    # Analytics' occupancy leaves the ring-no-answer pauses out of the denominator.
    paused = sum(t.seconds.get("paused", 0) for t in per_agent.values())
    assert paused > 0
    occupancy_by_analytics = sum(t.busy_s for t in per_agent.values()) / sum(
        t.busy_s + t.seconds.get("available", 0) + t.seconds.get("ringing", 0)
        for t in per_agent.values())
    assert occupancy_by_analytics == pytest.approx(busy / (logged_in - paused))
