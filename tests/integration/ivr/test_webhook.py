"""The IVR's web-hook client against a real aiohttp server on loopback."""

from __future__ import annotations

import asyncio
import json
import socket
import time
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
import structlog
from aiohttp import web
from aiohttp.test_utils import TestServer

from control_plane.calls.context import Webhook
from control_plane.ivr import webhook as hook
from control_plane.ivr.webhook import MAX_BODY, call_webhook, webhook_client

PAYLOAD = {"caller": "+8613800000000", "node": "ask", "account": "4111111111111111"}


class Program:
    """A tenant's web program: one route per behaviour, and what it received."""

    def __init__(self) -> None:
        self.received: list[tuple[str, str, Any]] = []
        self.app = web.Application()
        self.app.router.add_post("/route", self.route)
        self.app.router.add_post("/slow", self.slow)
        self.app.router.add_post("/trickle", self.trickle)
        self.app.router.add_post("/status/{code}", self.status)
        self.app.router.add_post("/text/{kind}", self.text)
        self.app.router.add_post("/huge", self.huge)
        self.app.router.add_post("/huge-chunked", self.huge_chunked)
        self.app.router.add_post("/redirect", self.redirect)

    async def route(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.received.append((request.content_type, request.headers["Accept"], body))
        return web.json_response({"branch": "vip" if body.get("account") else "normal",
                                  "extra": [1, 2]})

    async def slow(self, request: web.Request) -> web.Response:
        await asyncio.sleep(3)
        return web.json_response({"branch": "late"})

    async def trickle(self, request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "application/json"})
        await response.prepare(request)
        for char in '{"branch": "late"}':
            await response.write(char.encode())
            await asyncio.sleep(0.2)
        return response

    async def status(self, request: web.Request) -> web.Response:
        return web.json_response({"branch": "error-page"}, status=int(request.match_info["code"]))

    async def text(self, request: web.Request) -> web.Response:
        bodies = {"not-json": b"branch=vip", "array": b'["vip"]', "number": b'{"branch": 5}',
                  "empty": b'{"branch": ""}', "null": b'{"branch": null}', "none": b"",
                  "long": json.dumps({"branch": "x" * 500}).encode(),
                  "latin1": '{"branch": "caf\xe9"}'.encode("latin-1")}
        return web.Response(body=bodies[request.match_info["kind"]],
                            content_type="application/json")

    async def huge(self, request: web.Request) -> web.Response:
        return web.json_response({"branch": "vip", "pad": "x" * (10 * 1024 * 1024)})

    async def huge_chunked(self, request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "application/json"})
        response.enable_chunked_encoding()
        await response.prepare(request)
        await response.write(b'{"branch": "vip", "pad": "')
        for _ in range(1000):  # about 8 MB unless the client hangs up first
            try:
                await response.write(b"x" * 8192)
            except (ConnectionResetError, RuntimeError):
                break
        return response

    async def redirect(self, request: web.Request) -> web.Response:
        raise web.HTTPFound("/route")


@pytest.fixture
async def program() -> AsyncIterator[tuple[Program, str]]:
    prog = Program()
    server = TestServer(prog.app, host="127.0.0.1", port=0)
    await server.start_server()
    try:
        yield prog, f"http://127.0.0.1:{server.port}"
    finally:
        await server.close()


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as client:
        yield client


async def _failure(session: aiohttp.ClientSession, url: str, timeout_s: float = 2.0,
                   **kwargs: Any) -> dict[str, Any]:
    """Call the hook expecting None; the one failure log entry it wrote."""
    with structlog.testing.capture_logs() as logs:
        assert await call_webhook(session, url, dict(PAYLOAD), timeout_s, **kwargs) is None
    failures = [e for e in logs if e["event"].startswith("ivr webhook failed")]
    assert len(failures) == 1, logs
    entry = failures[0]
    for secret in PAYLOAD.values():  # the caller's number and typed digits stay out of logs
        assert secret not in json.dumps(entry, default=str)
    return dict(entry)


async def test_success_posts_the_variables_as_json_and_returns_the_branch(
        program: tuple[Program, str], session: aiohttp.ClientSession) -> None:
    prog, base = program
    with structlog.testing.capture_logs() as logs:
        assert await call_webhook(session, f"{base}/route?token=s3cret", PAYLOAD, 2.0) == "vip"
    assert prog.received == [("application/json", "application/json", PAYLOAD)]
    answered = next(e for e in logs if e["event"] == "ivr webhook answered")
    assert answered["branch"] == "vip" and answered["url"] == f"{base}/route"
    assert "s3cret" not in json.dumps(logs, default=str)


async def test_webhook_client_is_the_controllers_webhook(
        program: tuple[Program, str], session: aiohttp.ClientSession) -> None:
    prog, base = program
    webhook: Webhook = webhook_client(session)
    assert await webhook(f"{base}/route", {"caller": "1"}, 1.0) == "normal"
    assert prog.received[-1][2] == {"caller": "1"}


async def test_a_slow_program_times_out_at_the_nodes_timeout(
        program: tuple[Program, str], session: aiohttp.ClientSession) -> None:
    _, base = program
    started = time.monotonic()
    entry = await _failure(session, f"{base}/slow", timeout_s=0.3)
    elapsed = time.monotonic() - started
    assert entry["reason"] == hook.TIMEOUT and 0.25 <= elapsed < 1.0


async def test_a_trickling_body_counts_against_the_same_deadline(
        program: tuple[Program, str], session: aiohttp.ClientSession) -> None:
    _, base = program
    started = time.monotonic()
    entry = await _failure(session, f"{base}/trickle", timeout_s=0.5)
    assert entry["reason"] == hook.TIMEOUT and time.monotonic() - started < 1.2


async def test_credentials_and_query_stay_out_of_the_log(
        program: tuple[Program, str], session: aiohttp.ClientSession) -> None:
    _, base = program
    url = base.replace("//", "//crm:pa55word@") + "/status/500?key=t0ken"
    entry = await _failure(session, url)
    assert entry["url"] == f"{base}/status/500"
    assert "pa55word" not in json.dumps(entry) and "t0ken" not in json.dumps(entry)


@pytest.mark.parametrize("code", [500, 503, 404, 204, 302])
async def test_a_non_2xx_status_or_an_empty_success_is_a_failure(
        program: tuple[Program, str], session: aiohttp.ClientSession, code: int) -> None:
    _, base = program
    entry = await _failure(session, f"{base}/status/{code}")
    if code == 204:
        assert entry["reason"] == hook.BAD_JSON  # no body: nothing names a branch
    else:
        assert (entry["reason"], entry["status"]) == (hook.BAD_STATUS, code)


async def test_redirects_are_not_followed(
        program: tuple[Program, str], session: aiohttp.ClientSession) -> None:
    prog, base = program
    entry = await _failure(session, f"{base}/redirect")
    assert (entry["reason"], entry["status"]) == (hook.BAD_STATUS, 302) and prog.received == []


@pytest.mark.parametrize(("kind", "reason"), [
    ("not-json", hook.BAD_JSON), ("none", hook.BAD_JSON), ("latin1", hook.BAD_JSON),
    ("array", hook.BAD_ANSWER), ("number", hook.BAD_ANSWER), ("empty", hook.BAD_ANSWER),
    ("null", hook.BAD_ANSWER), ("long", hook.BAD_ANSWER),
])
async def test_an_answer_without_a_branch_name_is_a_failure(
        program: tuple[Program, str], session: aiohttp.ClientSession, kind: str,
        reason: str) -> None:
    _, base = program
    assert (await _failure(session, f"{base}/text/{kind}"))["reason"] == reason


async def test_a_huge_body_is_refused_by_its_length(
        program: tuple[Program, str], session: aiohttp.ClientSession) -> None:
    _, base = program
    entry = await _failure(session, f"{base}/huge")
    assert entry["reason"] == hook.TOO_LARGE and entry["declared"] > 10 * 1024 * 1024
    assert entry["limit"] == MAX_BODY


async def test_a_huge_chunked_body_is_cut_off_at_the_cap(
        program: tuple[Program, str], session: aiohttp.ClientSession) -> None:
    _, base = program
    started = time.monotonic()
    entry = await _failure(session, f"{base}/huge-chunked", max_body=4096)
    assert (entry["reason"], entry["read"]) == (hook.TOO_LARGE, 4097)
    assert time.monotonic() - started < 1.5


@pytest.mark.parametrize("url", ["ftp://127.0.0.1/route", "file:///etc/passwd",
                                 "javascript:alert(1)", "http:///route", "route",
                                 "http://127.0.0.1:99999/route", "http://[::1/route"])
async def test_only_http_urls_are_called(
        program: tuple[Program, str], session: aiohttp.ClientSession, url: str) -> None:
    prog, _ = program
    assert (await _failure(session, url))["reason"] == hook.REFUSED_URL
    assert prog.received == []


async def test_an_unreachable_program_is_a_failure(session: aiohttp.ClientSession) -> None:
    with socket.socket() as sock:  # a port that was just free: nothing listens on it
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    entry = await _failure(session, f"http://127.0.0.1:{port}/route")
    assert entry["reason"] == hook.UNREACHABLE and "Connect" in entry["why"]


async def test_failures_leave_the_session_usable(
        program: tuple[Program, str], session: aiohttp.ClientSession) -> None:
    _, base = program
    webhook = webhook_client(session, max_body=4096)
    results = await asyncio.gather(
        webhook(f"{base}/slow", PAYLOAD, 0.2), webhook(f"{base}/huge-chunked", PAYLOAD, 2),
        webhook(f"{base}/status/500", PAYLOAD, 2), webhook(f"{base}/route", PAYLOAD, 2))
    assert list(results) == [None, None, None, "vip"]
    assert await webhook(f"{base}/route", PAYLOAD, 2) == "vip"
