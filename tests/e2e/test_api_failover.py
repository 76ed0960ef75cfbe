"""Two control-plane processes serve one center on Redis: one holds it (its controller and
ACD), the other stands by and passes the center's routes on; kill -9 of the active one and
the standby takes the center over with the agents' states as they were.

Real Kamailio tiers, RTPengine and Redis; both replicas are the real `control_plane serve`
daemon, started by the stack's supervisor.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from control_plane.runtime.stack import Stack, control_plane_spec, probe_for, site_secrets
from control_plane.runtime.supervisor import Daemon, PortClaim
from control_plane.topology.model import Topology
from tests.redis_server import redis_server
from tests.support import free_prefix, two_replica_demo


@dataclass
class TwoReplicas:
    """The stack, both replicas' daemons and their API base URLs."""

    topo: Topology
    stack: Stack
    daemons: dict[str, Daemon]
    urls: dict[str, str]
    agent: tuple[str, str, str]  # tenant, username, password


@pytest.fixture(scope="module")
def two_replicas() -> Iterator[TwoReplicas]:
    topo = two_replica_demo(free_prefix())
    run_dir = Path(tempfile.mkdtemp(prefix="cc-apifo-", dir="/tmp")) / "stack"
    stack = Stack(topo, run_dir, control_plane=False)
    stack.start()
    try:
        with redis_server(run_dir.parent / "redis") as redis:
            template = control_plane_spec(topo, run_dir, site_secrets(run_dir))
            daemons: dict[str, Daemon] = {}
            for node in topo.control_planes:  # cp-1 first: it takes the center
                spec = replace(
                    template, name=node.name, directory=(run_dir / node.name).resolve(),
                    ready=probe_for("control-plane", node.address, node.port, node.port),
                    ports=(PortClaim("tcp", node.address, node.port),
                           PortClaim("udp", node.address, node.sip_port)),
                    env={**template.env, "CC_API__HOST": node.address,
                         "CC_API__PORT": str(node.port),
                         "CC_RUNTIME__RUN_DIR": str((run_dir / node.name).resolve()),
                         "CC_CALLS__REPLICA": node.name,
                         "CC_CALLS__FAILOVER_REDIS_URL": redis.url})
                daemons[node.name] = stack.supervisor.start(spec)
            logins = (run_dir / "agent_passwords").read_text().splitlines()
            agent = next(tuple(line.split(" ", 2)) for line in logins
                         if line.startswith("acme alice "))
            yield TwoReplicas(topo, stack, daemons,
                              {n.name: f"http://{n.address}:{n.port}"
                               for n in topo.control_planes}, agent)  # type: ignore[arg-type]
    finally:
        stack.stop()
        shutil.rmtree(run_dir.parent, ignore_errors=True)


async def _json(http: aiohttp.ClientSession, method: str, url: str, **kw: Any
                ) -> tuple[int, dict[str, Any]]:
    async with http.request(method, url, **kw) as reply:
        return reply.status, await reply.json()


async def test_the_standby_passes_the_center_on_and_takes_it_over_after_kill_9(
        two_replicas: TwoReplicas) -> None:
    one, two = two_replicas.urls["cp-1"], two_replicas.urls["cp-2"]
    tenant, name, password = two_replicas.agent
    async with aiohttp.ClientSession() as http:
        async def role(url: str) -> str:
            try:
                return str((await _json(http, "GET", f"{url}/healthz"))[1]["calls"])
            except aiohttp.ClientError:
                return "down"

        roles: dict[str, str] = {}

        async def settled() -> bool:
            roles.update({"cp-1": await role(one), "cp-2": await role(two)})
            return roles == {"cp-1": "active", "cp-2": "standby"}

        for _ in range(300):
            if await settled():
                break
            await asyncio.sleep(0.1)
        assert roles == {"cp-1": "active", "cp-2": "standby"}

        # Tokens are signed with the center's shared secret: valid on either replica.
        status, body = await _json(http, "POST", f"{two}/api/v1/auth/login", json={
            "tenant": tenant, "username": name, "password": password})
        assert status == 200, body
        auth = {"Authorization": f"Bearer {body['token']}"}
        # Through the standby: passed on to cp-1, which holds the ACD.
        status, body = await _json(http, "POST", f"{two}/api/v1/agent/pause", headers=auth,
                                   json={"reason": "lunch"})
        assert status in (200, 409), body
        status, body = await _json(http, "GET", f"{one}/api/v1/agent/status", headers=auth)
        assert status == 200 and body["state"] == "paused", body
        assert body["pause_reason"] == "lunch", body
        status, body = await _json(http, "GET", f"{two}/api/v1/agent/status", headers=auth)
        assert status == 200 and body["state"] == "paused", body
        # The live socket through the standby is the active replica's, relayed.
        async with http.ws_connect(f"{two.replace('http', 'ws')}/api/v1/ws",
                                   headers=auth) as ws:
            assert (await ws.receive_json(timeout=10))["type"] == "hello"
            await ws.send_json({"type": "subscribe", "channel": "desk",
                                "kinds": ["agent.state"]})
            subscribed = await ws.receive_json(timeout=10)
            assert subscribed["type"] == "subscribed", subscribed
            assert subscribed["snapshot"]["acd"] == "attached", subscribed
            assert [a["state"] for a in subscribed["snapshot"]["agents"]] == ["paused"]
            await asyncio.sleep(2.5)  # the pump's first tick only learns the baseline
            status, body = await _json(http, "POST", f"{one}/api/v1/agent/ready",
                                       headers=auth)
            assert status == 200, body

            async def state_event() -> dict[str, Any]:
                while True:
                    doc = await ws.receive_json(timeout=10)
                    if doc["type"] == "event" and doc["event"]["kind"] == "agent.state":
                        return dict(doc["event"])

            event = await state_event()
            assert event["data"]["state"] in ("ready", "offered"), event
        status, body = await _json(http, "POST", f"{two}/api/v1/agent/pause", headers=auth,
                                   json={"reason": "lunch"})
        assert status == 200 and body["state"] == "paused", body
        # Configuration is the database's: the standby answers it itself.
        status, _ = await _json(http, "GET", f"{two}/api/v1/skills?tenant=acme", headers=auth)
        assert status in (200, 403)

        daemon = two_replicas.daemons["cp-1"]
        os.killpg(daemon.pid, signal.SIGKILL)
        daemon.process.wait(timeout=10)
        for _ in range(200):
            if await role(two) == "active":
                break
            await asyncio.sleep(0.1)
        assert await role(two) == "active"
        # The agent's state survived in the journal: cp-2 replayed it.
        status, body = await _json(http, "GET", f"{two}/api/v1/agent/status", headers=auth)
        assert status == 200 and body["state"] == "paused", body
        assert body["pause_reason"] == "lunch", body
        status, body = await _json(http, "POST", f"{two}/api/v1/agent/ready", headers=auth)
        assert status == 200 and body["state"] in ("ready", "offered"), body
