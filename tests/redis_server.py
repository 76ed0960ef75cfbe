"""A real Redis server for tests, from Debian's `redis-server`, in a throwaway directory.

It listens on loopback on a free port, never on the default one, so it runs beside anything
else; with `appendonly=True` every acknowledged write is fsynced (`appendfsync always`) and
survives `kill -9` and a restart on the same port and directory.

    with redis_server(tmp_path) as server:
        url = server.url
        server.kill()      # SIGKILL, like a crash
        server.start()     # same port, same data
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

BINARY = "redis-server"


class RedisMissing(RuntimeError):
    """The Debian package `redis-server` is not installed."""


def redis_binary() -> str:
    """Path of `redis-server`, or a clear error saying how to get it."""
    found = shutil.which(BINARY) or (
        "/usr/bin/redis-server" if Path("/usr/bin/redis-server").exists() else None)
    if found is None:
        raise RedisMissing(
            "redis-server not found: install the Debian package `redis-server` (listed in "
            ".ci/apt-packages.txt; run .ci/bootstrap.sh)")
    return found


def free_port() -> int:
    """A TCP port on 127.0.0.1 nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def ping(port: int, timeout: float = 0.5) -> bool:
    """True when a Redis on the port answers PING with PONG (not while loading)."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
            s.sendall(b"PING\r\n")
            return s.recv(64).startswith(b"+PONG")
    except OSError:
        return False


class RedisServer:
    """One redis-server process; start, kill and start again on the same port and data."""

    def __init__(self, directory: Path, *, appendonly: bool = False,
                 port: int | None = None) -> None:
        self.directory = directory
        self.appendonly = appendonly
        self.port = port or free_port()
        self.process: subprocess.Popen[bytes] | None = None
        self.binary = redis_binary()

    @property
    def url(self) -> str:
        """`redis://127.0.0.1:<port>/0`."""
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self, timeout: float = 10.0) -> None:
        """Start (or restart) and wait until it answers PING."""
        if self.process is not None and self.process.poll() is None:
            raise RuntimeError("redis-server is already running")
        self.directory.mkdir(parents=True, exist_ok=True)
        argv = [self.binary, "--port", str(self.port), "--bind", "127.0.0.1",
                "--dir", str(self.directory), "--save", "", "--daemonize", "no",
                "--protected-mode", "yes", "--logfile", str(self.directory / "redis.log")]
        if self.appendonly:
            argv += ["--appendonly", "yes", "--appendfsync", "always"]
        self.process = subprocess.Popen(argv, stdin=subprocess.DEVNULL,
                                        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + timeout
        while not ping(self.port):
            if self.process.poll() is not None:
                err = self.process.stderr.read().decode() if self.process.stderr else ""
                log = self.directory / "redis.log"
                tail = log.read_text()[-2000:] if log.exists() else ""
                raise RuntimeError(f"redis-server exited ({self.process.returncode}): "
                                   f"{err}{tail}")
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"redis-server on port {self.port} not ready in {timeout} s")
            time.sleep(0.05)

    def kill(self) -> None:
        """SIGKILL, like a crash (nothing is flushed that was not already)."""
        self._end(signal.SIGKILL)

    def stop(self) -> None:
        """SIGTERM and wait (a clean shutdown)."""
        self._end(signal.SIGTERM)

    def _end(self, sig: signal.Signals) -> None:
        proc, self.process = self.process, None
        if proc is None or proc.poll() is not None:
            return
        os.kill(proc.pid, sig)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        if proc.stderr is not None:
            proc.stderr.close()


@contextmanager
def redis_server(directory: Path, *, appendonly: bool = False) -> Iterator[RedisServer]:
    """A started server, stopped when the block ends."""
    server = RedisServer(directory, appendonly=appendonly)
    server.start()
    try:
        yield server
    finally:
        server.stop()
