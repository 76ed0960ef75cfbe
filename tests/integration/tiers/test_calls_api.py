"""The control plane's live-calls API over its own call controller (the demo stack)."""

from __future__ import annotations

import asyncio

import aiohttp

from control_plane.calls.phase import Phase
from control_plane.sipstack.peer import Peer
from tests.callers import Caller
from tests.conftest import RunningStack
from tests.support import operator_token, seat_ip


async def test_a_queued_caller_is_listed_live_and_monitoring_checks_its_input(
    tiers: RunningStack,
) -> None:
    cp = tiers.topo.control_plane
    base = f"http://{cp.address}:{cp.port}/api/v1"
    token = await asyncio.to_thread(operator_token, cp.address, cp.port, tiers.stack.run_dir)
    headers = {"Authorization": f"Bearer {token}"}
    county = tiers.topo.node("county-1")
    caller = await Caller.open(seat_ip(tiers.topo, 201))
    try:
        # Support queue of the demo center: no agent's seat is registered, so it waits.
        answer = await caller.call("4008000003", tiers.topo.domain,
                                   Peer(county.address, county.sip_port))
        assert answer.status == 200
        async with aiohttp.ClientSession(headers=headers) as http:
            async def listed() -> dict[str, object] | None:
                async with http.get(f"{base}/calls/live") as reply:
                    assert reply.status == 200
                    calls = (await reply.json())["calls"]
                return next((c for c in calls if c["call_id"] == answer.call_id), None)

            found = None
            for _ in range(100):
                found = await listed()
                if found and found["phase"] == Phase.QUEUED.value:
                    break
                await asyncio.sleep(0.1)
            assert found is not None and found["phase"] == "queued"
            assert (found["tenant"], found["queue"], found["caller"]) == (
                "acme", "support", "13800001111")

            url = f"{base}/calls/{answer.call_id}/monitor"
            async with http.post(url, json={"seat": "sup1", "mode": "listen"}) as reply:
                assert reply.status == 409  # queued, not yet talking to anyone
                assert (await reply.json())["error"]["details"]["reason"] == \
                    "calls.not_connected"
            async with http.post(url, json={"seat": "bad seat!"}) as reply:
                assert reply.status == 400
                assert (await reply.json())["error"]["id"] == "request.invalid_body"
            async with http.post(f"{base}/calls/nope/monitor", json={"seat": "s1"}) as reply:
                assert reply.status == 404
            await caller.hang_up()

            async def gone() -> bool:
                return await listed() is None

            for _ in range(100):
                if await gone():
                    break
                await asyncio.sleep(0.1)
            assert await gone()
    finally:
        await caller.close()


async def test_a_center_agent_logs_in_to_the_desk_api_and_reads_the_controllers_acd(
    tiers: RunningStack,
) -> None:
    cp = tiers.topo.control_plane
    base = f"http://{cp.address}:{cp.port}/api/v1"
    logins = (tiers.stack.run_dir / "agent_passwords").read_text().split("\n")
    tenant, name, password = next(line.split(" ", 2) for line in logins
                                  if line.startswith("acme alice "))
    async with aiohttp.ClientSession() as http:
        async with http.post(f"{base}/auth/login", json={
                "tenant": tenant, "username": name, "password": password}) as reply:
            assert reply.status == 200
            token = (await reply.json())["token"]
        headers = {"Authorization": f"Bearer {token}"}
        async with http.get(f"{base}/agent/status", headers=headers) as reply:
            assert reply.status == 200
            status = await reply.json()
        # The controller logged alice in at start; her seat is not registered in this stack.
        assert status["state"] in {"ready", "paused", "logged_out"}
        async with http.post(f"{base}/agent/pause", headers=headers,
                             json={"reason": "lunch"}) as reply:
            assert reply.status in {200, 409}, await reply.text()
        async with http.get(f"{base}/calls/live", headers=headers) as reply:
            assert reply.status == 200  # an agent sees only the calls they talk on
            assert (await reply.json())["count"] == 0
