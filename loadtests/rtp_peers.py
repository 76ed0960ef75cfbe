"""RTP ends for ``bench_call``'s concurrent-call plateau: callers that send, seats that echo.

Why not SIPp's media: measured on the 2-core machine (load 16-22), ``-rtp_echo`` answers every
seat from ONE socket and one thread; at 200-300 calls (10,000-15,000 packets/s) its 208 kB
receive buffer overflows whenever the thread waits for a core, and that was the whole loss
(``ss -u -a -m``: every dropped packet on the seat's echo port). Here every call has its own
socket on both ends (a queue per call, as a real phone has), and loss is counted end to end:
a packet counts as sent when the caller's ``sendto`` took it and as delivered when its echo
came back to the same caller.

Two commands, one process each (a process per side can use both cores):
  Both print ``{"ready": N}`` once their sockets are bound.
  ``python -m loadtests.rtp_peers echo --ip IP --base PORT --count N``: echo every datagram
  arriving on IP:PORT, PORT+2, ... (N sockets) back to its sender. On stdin ``report`` prints
  ``{"received": r, "echoed": e}``; EOF ends it.
  ``python -m loadtests.rtp_peers call --ip IP --base PORT --count N``: sockets as above,
  silent until stdin says ``send LOCAL_PORT DEST_IP DEST_PORT`` (one line per call); then
  every socket sends a 20 ms PCMU packet per tick. ``mark`` opens the counting window (prints
  ``{"tick": t}``); ``stop`` stops sending, waits for the last echoes and prints the counts
  (``window_sent``, ``window_received``, per-stream ``streams`` ...).

The tick number rides in the payload, so an echo is charged to the window its packet was
sent in: no edge effect from packets in flight when the window opens.
"""

from __future__ import annotations

import argparse
import json
import os
import select
import socket
import sys
import time
from dataclasses import dataclass, field

from loadtests.rtp_counts import (
    PTIME_S,
    PeerError,
    Stream,
    Window,
    packet_tick,
    parse_command,
    rtp_packet,
    totals,
)

# After a stall the caller sends the ticks it missed, but at most this many at once: a real
# phone does not send a second of audio in one burst, and RTPengine 10.5 stops reading a
# socket for good after five reads that found more than 50 packets queued.
MAX_CATCH_UP_TICKS = 10
DRAIN_S = 1.0  # echoes of the last packets are back well within this on loopback
# Both ends wake once per cycle and read at most PER_CYCLE packets of a socket (epoll is
# level-triggered: the rest waits for the next cycle). Waking per packet cost more CPU than
# the 2 busy cores gave (the echo fell seconds behind at 300 calls), and a backlog is
# drained at PER_CYCLE per cycle, never in a burst RTPengine would count as a strike.
CYCLE_S = 0.010
MAX_STRAYS = 20
PER_CYCLE = 3


def open_sockets(ip: str, base: int, count: int) -> dict[int, socket.socket]:
    """``count`` non-blocking UDP sockets on ip:base, base+2, ... (RTP ports are even)."""
    if count < 1 or base < 1024 or base % 2 or base + 2 * count > 65535:
        raise PeerError("rtp_peers.bad_ports", f"base {base}, count {count}")
    out: dict[int, socket.socket] = {}
    for n in range(count):
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.bind((ip, base + 2 * n))
        sock.setblocking(False)
        out[base + 2 * n] = sock
    return out


class Commands:
    """Lines from stdin read straight from its descriptor when epoll says so (a buffered
    ``readline`` would leave lines in its buffer that epoll no longer reports)."""

    def __init__(self) -> None:
        self.fd = sys.stdin.fileno()
        self.pending = b""
        self.closed = False

    def lines(self) -> list[str]:
        """The complete lines available now (sets ``closed`` at EOF)."""
        chunk = os.read(self.fd, 65536)
        if not chunk:
            self.closed = True
        self.pending += chunk
        *done, self.pending = self.pending.split(b"\n")
        return [line.decode() for line in done]


def _reply(obj: object) -> None:
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def _drain(sock: socket.socket, most: int) -> list[tuple[bytes, tuple[str, int]]]:
    """Up to ``most`` datagrams queued on ``sock``, with their senders."""
    got: list[tuple[bytes, tuple[str, int]]] = []
    while len(got) < most:
        try:
            got.append(sock.recvfrom(2048))
        except BlockingIOError:
            break
    return got


def _echo(sock: socket.socket) -> tuple[int, int]:
    """Echo up to ``PER_CYCLE`` packets queued on ``sock``: (received, echoed)."""
    got = _drain(sock, PER_CYCLE)
    echoed = 0
    for data, addr in got:
        try:
            sock.sendto(data, addr)
            echoed += 1
        except BlockingIOError:
            pass  # a full send buffer: a loss of this end, the hop counts show it
    return len(got), echoed


def run_echo(socks: dict[int, socket.socket]) -> None:
    """Echo until stdin closes; ``report`` prints the counts so far."""
    poller = select.epoll()
    by_fd = {s.fileno(): s for s in socks.values()}
    for fd in by_fd:
        poller.register(fd, select.EPOLLIN)
    commands = Commands()
    stdin = commands.fd
    poller.register(stdin, select.EPOLLIN)
    received = echoed = 0
    while True:
        time.sleep(CYCLE_S)  # one wake-up per cycle for all sockets, not one per packet
        for fd, _ in poller.poll(0):
            if fd != stdin:
                got, back = _echo(by_fd[fd])
                received, echoed = received + got, echoed + back
                continue
            for line in commands.lines():
                if parse_command(line)[0] == "report":
                    _reply({"received": received, "echoed": echoed})
            if commands.closed:
                return


@dataclass
class Caller:
    """The caller side's state: sockets, streams started, the window, the clock."""

    socks: dict[int, socket.socket]
    streams: dict[int, Stream] = field(default_factory=dict)
    window: Window = field(default_factory=Window)
    tick: int = 0
    late: int = 0
    skipped: int = 0
    started: float = field(default_factory=time.monotonic)
    sending: bool = True
    strays: list[tuple[int, int, int, str]] = field(default_factory=list)

    def send_due(self) -> None:
        """Send every tick due by now (at most ``MAX_CATCH_UP_TICKS`` of them at once)."""
        due = int((time.monotonic() - self.started) / PTIME_S) + 1
        if due - self.tick > MAX_CATCH_UP_TICKS:
            self.skipped += due - self.tick - MAX_CATCH_UP_TICKS
            self.tick = due - MAX_CATCH_UP_TICKS
        if due - self.tick > 1:
            self.late += 1
        while self.tick < due:
            packet, in_window = rtp_packet(self.tick), self.window.holds(self.tick)
            for port, stream in self.streams.items():
                try:
                    self.socks[port].sendto(packet, stream.dest)
                except BlockingIOError:
                    continue  # never left this host: not sent
                stream.sent += 1
                stream.window_sent += in_window
                if in_window:
                    stream.missing.add(self.tick)
            self.tick += 1

    def receive(self, port: int) -> None:
        """Count the echoes queued on one caller socket."""
        stream = self.streams.get(port)
        got = _drain(self.socks[port], PER_CYCLE)
        if stream is None:
            return
        stream.received += len(got)
        for data, _ in got:
            tick = packet_tick(data)
            if tick in stream.missing:  # each packet of the window once: a copy is no echo
                stream.window_received += 1
                stream.missing.remove(tick)
            elif self.window.holds(tick):
                stream.window_extra += 1
                if len(self.strays) < MAX_STRAYS:  # what they are: a copy, or another call's
                    self.strays.append((port, tick, self.tick, data[:12].hex()))

    def command(self, verb: str, args: list[str]) -> bool:
        """Apply one stdin command; False once stopped."""
        if verb == "send":
            port = int(args[0])
            if port not in self.socks:
                raise PeerError("rtp_peers.unknown_port", f"no caller socket on {port}")
            self.streams[port] = Stream((args[1], int(args[2])))
        elif verb == "mark":
            self.window.start = self.tick
            _reply({"tick": self.tick})
        elif verb == "stop":
            self.window.end = self.tick
            return False
        return True


def run_caller(socks: dict[int, socket.socket]) -> None:
    """Send and count until ``stop`` (or EOF), then report."""
    caller = Caller(socks)
    poller = select.epoll()
    by_fd = {s.fileno(): port for port, s in socks.items()}
    for fd in by_fd:
        poller.register(fd, select.EPOLLIN)
    commands = Commands()
    stdin = commands.fd
    poller.register(stdin, select.EPOLLIN)
    while caller.sending:
        caller.send_due()
        time.sleep(max(0.0, caller.started + caller.tick * PTIME_S - time.monotonic()))
        for fd, _ in poller.poll(0):
            if fd != stdin:
                caller.receive(by_fd[fd])
                continue
            for line in commands.lines():
                caller.sending = caller.sending and caller.command(*parse_command(line))
            caller.sending = caller.sending and not commands.closed
    poller.unregister(stdin)
    deadline = time.monotonic() + DRAIN_S
    while time.monotonic() < deadline:
        time.sleep(CYCLE_S)
        for fd, _ in poller.poll(0):
            caller.receive(by_fd[fd])
    report = totals(caller.streams, window=caller.window, late=caller.late,
                    skipped=caller.skipped)
    _reply({**report.__dict__, "strays": caller.strays})


def main() -> None:
    """Entry point: ``python -m loadtests.rtp_peers {echo,call} --ip IP --base P --count N``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else "")
    parser.add_argument("role", choices=["echo", "call"])
    parser.add_argument("--ip", required=True)
    parser.add_argument("--base", type=int, required=True, help="first (even) port")
    parser.add_argument("--count", type=int, required=True, help="sockets, one per call")
    args = parser.parse_args()
    try:
        socks = open_sockets(args.ip, args.base, args.count)
        _reply({"ready": len(socks)})
        (run_echo if args.role == "echo" else run_caller)(socks)
    except PeerError as exc:
        sys.stderr.write(f"rtp_peers: {exc}\n")
        raise SystemExit(2) from exc


if __name__ == "__main__":
    main()
