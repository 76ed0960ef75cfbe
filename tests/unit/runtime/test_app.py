"""The control plane's own HTTP surface: /healthz and /metrics."""

from __future__ import annotations

from typing import Any

from control_plane.app import create_app
from control_plane.runtime.settings import load_settings


async def test_healthz_and_metrics(aiohttp_client: Any) -> None:
    settings = load_settings(environ={"CC_RUNTIME__TOPOLOGY": "/nonexistent/topology.toml"})
    client = await aiohttp_client(create_app(settings))
    resp = await client.get("/healthz")
    assert resp.status == 200
    body = await resp.json()
    assert body["status"] == "ok" and body["uptime_seconds"] >= 0
    await client.get("/nowhere")
    metrics = await (await client.get("/metrics")).text()
    assert "cc_build_info{" in metrics
    assert 'cc_http_requests_total{route="/healthz",status="200"} 1.0' in metrics
    assert 'route="unmatched",status="404"' in metrics
