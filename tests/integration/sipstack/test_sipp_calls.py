"""Real calls between our UserAgent and SIPp 3.6 over loopback UDP."""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path

from control_plane.sipstack.message import SipResponse
from control_plane.sipstack.ua import UserAgent
from control_plane.sipstack.uri import SipUri

from .helpers import SDP, AnsweringHandler, free_port, loopback_host, run_sipp


async def test_our_uas_answers_sipp_uac_calls(tmp_path: Path) -> None:
    handler = AnsweringHandler()
    ua = UserAgent(loopback_host(), 0, handler=handler)
    await ua.start()
    try:
        sipp_host = loopback_host()
        code, log = await run_sipp(
            ["-sn", "uac", f"{ua.transport.host}:{ua.transport.port}", "-i", sipp_host,
             "-p", str(free_port(sipp_host)), "-m", "10", "-r", "20", "-l", "10", "-d", "100",
             "-timeout", "40", "-timeout_error"],
            tmp_path,
        )  # fmt: skip
        assert code == 0, log
        assert (handler.invites, handler.acks, handler.byes) == (10, 10, 10)
        assert handler.ended == ["bye"] * 10
        assert ua.dialogs == {}
        assert ua.transport.receiver.parse_errors == 0
    finally:
        await ua.close()


async def test_our_uac_calls_sipp_uas_and_hangs_up(tmp_path: Path) -> None:
    sipp_host = loopback_host()
    sipp_port = free_port(sipp_host)
    calls = 3
    sipp = asyncio.create_task(
        run_sipp(
            [
                "-sn",
                "uas",
                "-i",
                sipp_host,
                "-p",
                str(sipp_port),
                "-m",
                str(calls),
                "-timeout",
                "40",
                "-timeout_error",
            ],
            tmp_path,
        )
    )
    ua = UserAgent(loopback_host(), 0)
    await ua.start()
    try:
        await asyncio.sleep(0.5)  # let SIPp bind
        target = SipUri(host=sipp_host, port=sipp_port, user="service")
        for _ in range(calls):
            invite = ua.new_request(
                "INVITE", target, headers=(("Content-Type", "application/sdp"),), body=SDP
            )
            ringing: list[SipResponse] = []
            out = ua.invite(invite, on_provisional=ringing.append)
            final = await asyncio.wait_for(out.final, 10)
            assert final.status == 200
            assert 180 in [r.status for r in ringing]
            assert out.dialog is not None and out.dialog.remote_tag
            assert out.dialog.id in ua.dialogs
            answer = await asyncio.wait_for(ua.send_bye(out.dialog), 10)
            assert answer.status == 200
        code, log = await asyncio.wait_for(sipp, 30)
        assert code == 0, log
        assert ua.dialogs == {}
    finally:
        if not sipp.done():
            sipp.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await sipp
        await ua.close()


async def test_our_uas_answers_sipp_uac_over_tcp(tmp_path: Path) -> None:
    handler = AnsweringHandler()
    ua = UserAgent(loopback_host(), 0, handler=handler, tcp=True)
    await ua.start()
    try:
        sipp_host = loopback_host()
        code, log = await run_sipp(
            ["-sn", "uac", "-t", "t1", f"{ua.transport.host}:{ua.transport.port}",
             "-i", sipp_host, "-p", str(free_port(sipp_host)), "-m", "5", "-r", "10",
             "-d", "100", "-timeout", "40", "-timeout_error"],
            tmp_path,
        )  # fmt: skip
        assert code == 0, log
        assert (handler.invites, handler.acks, handler.byes) == (5, 5, 5)
        assert ua.dialogs == {}
    finally:
        await ua.close()
