"""kill -9 of a province core: established calls end cleanly, new calls keep working.

The cores record-route with the pair's logical name and every edge sends such requests
to a live core of its dispatcher set, so losing core A costs no established call; after
one probing interval the edges stop choosing A at all, and A comes back by itself.
"""

from __future__ import annotations

import shutil
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from control_plane.runtime import probes
from control_plane.topology.model import Role
from loadtests.sippctl import finished_counts, start_calls
from tests.conftest import RunningStack, running_stack
from tests.support import (
    answering_seat,
    dispatcher_flags,
    eventually,
    free_prefix,
    place_calls,
    register_seat,
    relocated_demo,
    seat_accounts,
    write_seats,
)


@pytest.fixture
def own_tiers() -> Iterator[RunningStack]:
    """A stack of this test's own: it kills nodes."""
    path = Path(tempfile.mkdtemp(prefix="cc-", dir="/tmp"))
    try:
        with running_stack(relocated_demo(free_prefix()), path / "run") as running:
            yield running
    finally:
        shutil.rmtree(path, ignore_errors=True)


def test_killing_core_a_loses_no_established_call_and_no_new_call(
    own_tiers: RunningStack, tmp_path: Path
) -> None:
    topo = own_tiers.topo
    a = topo.by_role(Role.PROVINCE)[0]
    city, county2 = topo.node("city-1"), topo.node("county-2")
    base = topo.nodes[0].address.rsplit(".", 1)[0]
    callee_ip, caller_ip = f"{base}.171", f"{base}.172"
    (callee,) = seat_accounts(["agent1"])
    # Every call from its own seat: a seat may hold only a few calls at once.
    callers = seat_accounts([f"caller{i}" for i in range(10)])
    caller = callers[0]
    own_tiers.stack.add_seats([callee, *callers])
    assert register_seat(f"{city.address}:5060", callee, callee_ip, tmp_path).successful == 1

    # Phase 1: ten calls are up (spread over both cores by Call-ID) when A is killed, their
    # BYEs come after the kill; meanwhile a steady 5 calls/s runs through the same edge.
    def a_transactions() -> int:
        return int(probes.kamailio_rpc(a.rpc_address, a.http_port, "tm.stats")["total"])

    steady_seats = seat_accounts([f"steady{i}" for i in range(10)])
    own_tiers.stack.add_seats(steady_seats)
    before = a_transactions()
    answer = answering_seat(callee_ip, tmp_path / "p1", calls=70)
    talking = start_calls(f"{county2.address}:5060",
                          write_seats(tmp_path / "callers.csv", callers), "agent1",
                          caller_ip, tmp_path / "p1c", calls=10, rate=10, talk_ms=6000)
    steady = start_calls(f"{county2.address}:5060",
                         write_seats(tmp_path / "steady.csv", steady_seats), "agent1",
                         f"{base}.173", tmp_path / "p1s", calls=60, rate=5, talk_ms=300)
    time.sleep(3)
    assert a_transactions() - before >= 2, "core A carried none of the calls: test is moot"
    own_tiers.stack.daemon(a.name).process.kill()  # SIGKILL to the main process...
    own_tiers.stack.daemon(a.name).stop(0.1)  # ...and its forked workers with it
    assert talking.wait(timeout=90) == 0, (tmp_path / "p1c" / "errors.log").read_text(
        errors="replace")[-3000:]
    steady.wait(timeout=90)
    answer.wait(timeout=60)
    ok, failed = finished_counts(tmp_path / "p1s")
    # Only a call whose INVITE was inside A at the instant it died may be lost (its answer
    # had to come back through A); every other call of the steady load went through.
    assert ok + failed == 60 and failed <= 2, (ok, failed)

    # Phase 2: the edges mark A down within a few probing intervals...
    eventually(lambda: dispatcher_flags(county2.rpc_address, county2.http_port)[a.name]
                .startswith("I"), timeout=15)
    eventually(lambda: dispatcher_flags(city.rpc_address, city.http_port)[a.name]
                .startswith("I"), timeout=15)
    # ...and from then on no new call fails.
    answer = answering_seat(callee_ip, tmp_path / "p2", calls=30)
    calls = place_calls(f"{county2.address}:5060", caller, "agent1", caller_ip,
                        tmp_path / "p2", calls=30, rate=5, talk_ms=200)
    answer.wait(timeout=30)
    assert calls.successful == 30 and calls.failed == 0, calls.output

    # Phase 3: A returns, learns the registrations from B (DMQ sync), and is used again.
    own_tiers.stack.restart(a.name)
    eventually(lambda: dispatcher_flags(county2.rpc_address, county2.http_port)[a.name]
                .startswith("A"), timeout=15)

    def a_knows_callee() -> bool:
        dump = probes.kamailio_rpc(a.rpc_address, a.http_port, "ul.dump")
        return any(x["Info"]["AoR"] == "agent1@cc.local"
                   for x in dump["Domains"][0]["Domain"]["AoRs"])

    eventually(a_knows_callee, timeout=15)
    answer = answering_seat(callee_ip, tmp_path / "p3", calls=1)
    direct = place_calls(f"{a.address}:5060", caller, "agent1", caller_ip, tmp_path / "p3")
    answer.wait(timeout=30)
    assert direct.successful == 1, direct.output


def test_an_edge_that_loses_every_parent_answers_503_and_says_so(
    own_tiers: RunningStack,
) -> None:
    from tests.rawsip import RawSipClient

    topo = own_tiers.topo
    county2 = topo.node("county-2")
    for core in topo.by_role(Role.PROVINCE):
        own_tiers.stack.daemon(core.name).stop(0.5)

    def parents_down() -> float:
        url = f"http://{county2.rpc_address}:{county2.http_port}/metrics"
        with urllib.request.urlopen(url, timeout=2) as resp:
            for line in resp.read().decode().splitlines():
                if line.startswith("kamailio_script_cc_parents_down "):
                    return float(line.split()[1])
        return -1.0

    # The probes notice within a few intervals, and the metric says so...
    eventually(lambda: parents_down() == 2, timeout=30)
    # ...and from then on seats get an immediate 503 with a hint, not silence.
    base = topo.nodes[0].address.rsplit(".", 1)[0]
    client = RawSipClient(f"{base}.181", (county2.address, 5060), timeout=3)
    try:
        reply = client.request("REGISTER", "someone", topo.domain)
    finally:
        client.close()
    assert reply is not None and reply.status == 503
    assert reply.headers.get("retry-after") == "5"
    log = own_tiers.stack.daemon(county2.name).spec.log_path.read_text(errors="replace")
    assert "is down" in log
