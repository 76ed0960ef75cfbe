"""``bench_call``'s RTP plateau: the RTP peers' processes and RTPengine's view of each call.

The callers' and seats' SIPp put one media port per call in their SDP (``[field0]`` of an
injection file from ``media_rows``); ``loadtests.rtp_peers`` owns those ports. RTPengine's
per-call counters give the hop in the middle: packets in from the callers and from the
seats, next to what the callers sent and got back.
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from control_plane.topology.render import REPO_ROOT

CALLER_RTP_BASE = 20000  # callers' ports: 20000, 20002, ... on the callers' address
SEAT_RTP_BASE = 40000  # seats' ports on the seats' address (a port per concurrent call)
REPLY_TIMEOUT_S = 30.0


class RtpPeerError(RuntimeError):
    """A peer process died or answered nonsense; ``error_id`` is stable."""

    def __init__(self, error_id: str, detail: str) -> None:
        super().__init__(f"{error_id}: {detail}")
        self.error_id = error_id


def media_rows(path: Path, *, base: int, count: int) -> Path:
    """A SIPp injection file of ``count`` RTP ports, one per call (SIPp wraps around)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("SEQUENTIAL\n" + "".join(f"{base + 2 * n}\n" for n in range(count)),
                    encoding="utf-8")
    return path


class PeerProcess:
    """One ``python -m loadtests.rtp_peers`` process, driven by lines on stdin/stdout.

    Blocking: call from a thread (``asyncio.to_thread``) in an event loop.
    """

    def __init__(self, role: str, *, ip: str, base: int, count: int, workdir: Path,
                 name: str = "") -> None:
        workdir.mkdir(parents=True, exist_ok=True)
        self.role = name or role
        with (workdir / f"rtp_{self.role}.err").open("w") as err:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "loadtests.rtp_peers", role, "--ip", ip,
                 "--base", str(base), "--count", str(count)],
                cwd=REPO_ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=err,
                text=True)
        ready = self.read()
        if ready.get("ready") != count:
            raise RtpPeerError("bench_rtp.peer_not_ready", f"{role}: {ready}")

    def read(self) -> dict[str, Any]:
        """The next JSON line the process prints."""
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if not line:
            raise RtpPeerError("bench_rtp.peer_exited",
                               f"{self.role} exited with {self.proc.poll()}")
        reply = json.loads(line)
        if not isinstance(reply, dict):
            raise RtpPeerError("bench_rtp.peer_bad_reply", f"{self.role}: {line!r}")
        return reply

    def tell(self, line: str) -> None:
        """Send one command line."""
        assert self.proc.stdin is not None
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()

    def ask(self, line: str) -> dict[str, Any]:
        """Send one command and read its answer."""
        self.tell(line)
        return self.read()

    def close(self) -> None:
        """End the process (EOF on stdin), killing it if it does not go."""
        if self.proc.stdin is not None and not self.proc.stdin.closed:
            self.proc.stdin.close()
        try:
            self.proc.wait(REPLY_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


@dataclass(frozen=True)
class StreamView:
    """RTPengine's RTP stream facing one party: its port there, the party's, packets in."""

    local_port: int
    peer_port: int
    packets: int


def stream_view(raw: dict[str, Any], tag: str) -> StreamView | None:
    """The first RTP stream of the party of ``tag`` in an ng ``query`` reply."""
    for media in raw.get("tags", {}).get(tag, {}).get("medias", []):
        for stream in media.get("streams", []):
            if "RTP" in stream.get("flags", []) or "RTCP" not in stream.get("flags", []):
                return StreamView(int(stream.get("local port", 0)),
                                  int(stream.get("endpoint", {}).get("port", 0)),
                                  int(stream.get("stats", {}).get("packets", 0)))
    return None


# RTPengine 10.5 reads at most 50 packets of a socket per wake-up; five such overruns in a
# row and it ignores the socket for good (media_socket.c, MAX_RECV_LOOP_STRIKES): the call
# goes deaf one way. These lines in its log are that happening (a starved RTPengine, or
# bursts from a peer).
OVERRUN = "Too many packets in UDP receive queue"
DISCARD = "UDP receive queue exceeded"


def queue_overruns(log: Path) -> tuple[int, int]:
    """(overrun lines, refused-read lines) in RTPengine's log so far; its log limits how
    often a line repeats, so these are lower bounds."""
    if not log.is_file():
        return 0, 0
    text = log.read_text(encoding="utf-8", errors="replace")
    return text.count(OVERRUN), text.count(DISCARD)


def loss_pct(sent: int, delivered: int) -> float:
    """Lost share of ``sent`` in percent (100 when nothing was sent)."""
    return round(100 * (1 - delivered / sent), 3) if sent else 100.0


class EchoGroup:
    """The seats' echo split over ``shards`` processes (see ``CallerGroup``)."""

    def __init__(self, *, ip: str, base: int, count: int, shards: int, workdir: Path) -> None:
        self.parts = [PeerProcess("echo", ip=ip, base=ports.start, count=len(ports),
                                  workdir=workdir, name=f"echo{n}")
                      for n, ports in enumerate(port_shards(base, count, shards))]

    def report(self) -> dict[str, int]:
        """Datagrams received and echoed so far, summed over the shards."""
        for peer in self.parts:
            peer.tell("report")
        replies = [peer.read() for peer in self.parts]
        return {key: sum(int(r[key]) for r in replies) for key in ("received", "echoed")}

    def close(self) -> None:
        """End every shard."""
        for peer in self.parts:
            peer.close()


def port_shards(base: int, count: int, shards: int) -> list[range]:
    """``count`` even ports from ``base`` cut into at most ``shards`` runs of equal size."""
    per = -(-count // max(1, shards))
    return [range(base + 2 * first, base + 2 * min(count, first + per), 2)
            for first in range(0, count, per)]


class CallerGroup:
    """The callers' RTP split over ``shards`` processes: a process per core, as a load
    generator has to be on a busy 2-core machine to keep 50 packets/s on 300 calls."""

    def __init__(self, *, ip: str, base: int, count: int, shards: int, workdir: Path) -> None:
        self.parts = [(ports, PeerProcess("call", ip=ip, base=ports.start, count=len(ports),
                                          workdir=workdir, name=f"call{n}"))
                      for n, ports in enumerate(port_shards(base, count, shards))]

    def send(self, port: int, dest: tuple[str, int]) -> None:
        """Start the stream of the caller on ``port`` towards ``dest``."""
        for ports, peer in self.parts:
            if port in ports:
                peer.tell(f"send {port} {dest[0]} {dest[1]}")
                return
        raise RtpPeerError("bench_rtp.unknown_port", f"no caller on port {port}")

    def mark(self) -> None:
        """Open every shard's counting window."""
        for _, peer in self.parts:
            peer.tell("mark")
        for _, peer in self.parts:
            peer.read()

    def stop(self) -> dict[str, Any]:
        """Stop every shard; their reports summed (loss recomputed over the sums)."""
        for _, peer in self.parts:  # all at once: the shards' windows end together
            peer.tell("stop")
        reports = [peer.read() for _, peer in self.parts]
        out: dict[str, Any] = {key: sum(int(r[key]) for r in reports) for key in SUMMED}
        out["loss_pct"] = loss_pct(out["window_sent"], out["window_received"])
        lost: dict[int, int] = {}
        for report in reports:
            for second, count in report["lost_by_second"].items():
                lost[int(second)] = lost.get(int(second), 0) + int(count)
        out["lost_by_second"] = dict(sorted(lost.items()))
        out["strays"] = [w for r in reports for w in r.get("strays", [])][:20]
        out["worst"] = sorted((w for r in reports for w in r["worst"]),
                              key=lambda w: int(w[2]) - int(w[1]))[:5]
        streams = out["streams"]
        out["window_pps_per_stream"] = round(sum(
            float(r["window_pps_per_stream"]) * int(r["streams"]) for r in reports)
            / streams, 1) if streams else 0.0
        return out

    def close(self) -> None:
        """End every shard."""
        for _, peer in self.parts:
            peer.close()


SUMMED = ("streams", "two_way", "sent", "received", "window_sent", "window_received",
          "window_extra",
          "streams_with_loss", "late_ticks", "skipped_ticks")
