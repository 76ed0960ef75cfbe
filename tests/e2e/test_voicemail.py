"""Voicemail from the IVR: greeting, tone, the caller's message until #, a mono WAV indexed
for the queue, and the queue's notification hook told."""

from __future__ import annotations

import asyncio
import dataclasses
import wave
from typing import Any

import aiohttp
from aiohttp import web

from control_plane.calls.notify import http_notifier
from control_plane.calls.session import Phase
from control_plane.sipstack.peer import Peer
from tests.callers import Caller, until
from tests.e2e.conftest import CallStack, RunningController
from tests.support import seat_ip


async def test_a_message_left_in_the_ivr_becomes_an_indexed_wav_and_a_notification(
    call_stack: CallStack, controller: RunningController,
) -> None:
    told: list[dict[str, Any]] = []

    async def hook(request: web.Request) -> web.Response:
        told.append(await request.json())
        return web.json_response({"ok": True})

    app = web.Application()
    app.router.add_post("/voicemail", hook)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    ctx = controller.service.controller.ctx
    assert ctx is not None
    ctx.center = dataclasses.replace(ctx.center, voicemail_hooks={
        ("acme", "support"): f"http://127.0.0.1:{port}/voicemail"})
    http = aiohttp.ClientSession()
    ctx.notify = http_notifier(http)
    caller = await Caller.open(seat_ip(call_stack.topo, 193))
    try:
        answer = await caller.call("4008000001", "cc.local", Peer(
            call_stack.topo.node("county-1").address, 5060), caller_number="13700003333")
        assert answer.status == 200
        session = ctl_session = controller.service.controller.sessions[answer.call_id]
        await asyncio.sleep(0.5)
        await caller.rtp.press("9")  # leave a message
        await until(lambda: session.phase is Phase.VOICEMAIL, within=20, why=session.record)
        await until(lambda: session.record.voicemail_span[0] > 0, within=15)  # after the tone
        await asyncio.sleep(1.5)  # the caller speaks
        await caller.rtp.press("#")
        await until(lambda: not caller.connected, within=15)  # goodbye, then our BYE
        await until(lambda: ctl_session in controller.finished, within=10)
        wavs = await until(lambda: list((controller.recordings / "voicemail").rglob("*.wav")),
                           within=30)
        with wave.open(str(wavs[0])) as message:
            assert (message.getnchannels(), message.getframerate()) == (1, 8000)
            assert message.getnframes() > 8000  # about 1.5 s of the caller's voice
        await until(lambda: told, within=10)
    finally:
        await caller.close()
        await http.close()
        await runner.cleanup()
    assert told[0]["event"] == "voicemail.new"
    assert (told[0]["tenant"], told[0]["queue"], told[0]["caller"]) == (
        "acme", "support", "13700003333")
    assert isinstance(told[0]["voicemail_id"], int)
