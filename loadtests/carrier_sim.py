"""A simulated carrier (PSTN gateway) for the demo and the tests, on our own SIP stack.

It answers OPTIONS probes, answers every INVITE (180, then 200 with SDP), and writes one
JSON line per received INVITE (its header lines, how many Via and Record-Route entries,
and where it came from) to ``--log``, so tests can check what the carrier sees of the
center's topology.

    python -m loadtests.carrier_sim --host 127.0.40.1 --port 5060 --log invites.jsonl
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
from pathlib import Path

from control_plane.sipstack import Handler, IncomingRequest, UserAgent


def _sdp(host: str) -> bytes:
    return (
        "v=0\r\n"
        f"o=carrier 1 1 IN IP4 {host}\r\n"
        "s=-\r\n"
        f"c=IN IP4 {host}\r\n"
        "t=0 0\r\n"
        "m=audio 7000 RTP/AVP 0 101\r\n"
        "a=rtpmap:0 PCMU/8000\r\n"
        "a=rtpmap:101 telephone-event/8000\r\n"
    ).encode()


class CarrierHandler(Handler):
    """Answers calls at once and records what each INVITE showed."""

    def __init__(self, host: str, log: Path) -> None:
        self.host = host
        self.log = log

    def on_request(self, incoming: IncomingRequest) -> None:
        """INVITE: record and answer; anything else the UA does not answer: 200."""
        request = incoming.request
        if request.method != "INVITE":
            incoming.respond(200)
            return
        head = request.encode().split(b"\r\n\r\n", 1)[0].decode(errors="replace")
        record = {
            "headers": head.split("\r\n"),
            "sdp": request.body.decode(errors="replace").split("\r\n"),
            "vias": len(request.via),
            "record_routes": len(request.record_route),
            "source": f"{incoming.peer.host}:{incoming.peer.port}",
        }
        with self.log.open("a", encoding="utf-8") as out:
            out.write(json.dumps(record) + "\n")
        incoming.respond(180)
        incoming.respond(200, headers=(("Content-Type", "application/sdp"),),
                         body=_sdp(self.host))


async def serve(host: str, port: int, log: Path) -> None:
    """Run until SIGTERM or SIGINT."""
    ua = UserAgent(host, port, handler=CarrierHandler(host, log), user="carrier")
    await ua.start()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        await ua.close()


def main() -> None:
    """Entry point."""
    parser = argparse.ArgumentParser(description="simulated carrier (PSTN gateway)")
    parser.add_argument("--host", required=True)
    parser.add_argument("--port", type=int, default=5060)
    parser.add_argument("--log", type=Path, required=True)
    args = parser.parse_args()
    asyncio.run(serve(args.host, args.port, args.log))


if __name__ == "__main__":
    main()
