"""Helpers of the sipstack integration tests: free ports, SIPp runs, a demo handler."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import os
import shutil
import socket
from pathlib import Path

from control_plane.sipstack.exchange import Handler, IncomingRequest

SIPP = shutil.which("sipp") or "/usr/bin/sipp"
# Each test takes its own loopback address so parallel runs do not collide.
_HOSTS = itertools.count(10 + (os.getpid() % 200))
SDP = (
    b"v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
    b"m=audio 9 RTP/AVP 0\r\n"
)


def loopback_host() -> str:
    """A fresh 127.0.77.x address."""
    return f"127.0.77.{next(_HOSTS) % 250 + 2}"


def free_port(host: str) -> int:
    """A port free for both UDP and TCP on `host` right now."""
    while True:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
            udp.bind((host, 0))
            port = int(udp.getsockname()[1])
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as tcp:
                try:
                    tcp.bind((host, port))
                except OSError:
                    continue
            return port


class AnsweringHandler(Handler):
    """Answers INVITEs with 180 then 200 + SDP, and counts what happened."""

    def __init__(self) -> None:
        self.invites = 0
        self.acks = 0
        self.byes = 0
        self.ended: list[str] = []

    def on_request(self, incoming: IncomingRequest) -> None:
        method = incoming.request.method
        if method == "INVITE":
            self.invites += 1
            incoming.respond(180)
            incoming.respond(200, headers=(("Content-Type", "application/sdp"),), body=SDP)
        elif method == "BYE":
            self.byes += 1
        else:
            incoming.respond(200)

    def on_ack(self, ack, dialog):
        self.acks += 1

    def on_dialog_ended(self, dialog, reason):
        self.ended.append(reason)


async def run_sipp(args: list[str], workdir: Path, limit: float = 60) -> tuple[int, str]:
    """Run SIPp to completion in `workdir` (its logs stay there); kill it on timeout."""
    process = await asyncio.create_subprocess_exec(
        SIPP, *args, "-nostdin", "-trace_err", "-trace_screen",
        cwd=workdir, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:
        _, err = await asyncio.wait_for(process.communicate(), limit)
    finally:
        if process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                process.kill()
            await process.wait()
    return int(process.returncode or 0), err.decode(errors="replace") + read_logs(workdir)


def read_logs(workdir: Path) -> str:
    """The tail of every SIPp log in `workdir`, for assertion messages."""
    return "".join(p.read_text(errors="replace")[-3000:] for p in workdir.glob("*.log"))
