"""One tenant's burst is capped at the core without touching another tenant's seats."""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import replace
from pathlib import Path

from control_plane.db.credentials import SeatAccount
from control_plane.topology.model import load_topology
from tests.conftest import RunningStack, running_stack
from tests.rawsip import RawSipClient
from tests.support import DEMO_TOPOLOGY, free_prefix


def test_tenant_requests_per_second_are_capped_per_tenant() -> None:
    work = Path(tempfile.mkdtemp(prefix="cc-", dir="/tmp"))
    prefix = free_prefix()
    topo = replace(load_topology(DEMO_TOPOLOGY).relocated(prefix),
                   limits=(("TENANT_PPS", 5),))
    try:
        with running_stack(topo, work / "run") as running:
            _burst_one_tenant(running, prefix)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _burst_one_tenant(running: RunningStack, prefix: str) -> None:
    topo, stack = running.topo, running.stack
    noisy = [SeatAccount("noisy", f"n{i}", topo.domain, "pw") for i in range(20)]
    quiet = SeatAccount("quiet", "q1", topo.domain, "pw")
    stack.add_seats([*noisy, quiet])
    county = topo.node("county-1")
    statuses = []
    client = RawSipClient(f"{prefix}.201", (county.address, 5060))
    try:
        for seat in noisy:  # 20 authenticated REGISTERs of one tenant in well under 1 s
            reply = client.register(seat.username, seat.domain, seat.password)
            statuses.append(reply.status if reply else 0)
    finally:
        client.close()
    assert 503 in statuses, statuses  # the tenant's pipe overflowed...
    assert statuses.count(200) >= 5, statuses  # ...after its allowance went through
    other = RawSipClient(f"{prefix}.202", (county.address, 5060))
    try:
        reply = other.register(quiet.username, quiet.domain, quiet.password)
    finally:
        other.close()
    assert reply is not None and reply.status == 200  # another tenant is untouched
