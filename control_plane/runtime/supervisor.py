"""One process supervisor for the demo, the CLI and the integration tests.

A daemon is started from a :class:`DaemonSpec` in its own directory, in its own process
group (Kamailio forks children: killing only the main PID would leave them running),
with stdout and stderr collected into ``<directory>/<name>.log``. It is ready when its
readiness probe says so; when it is not, the error names the daemon, its command line and
the last lines of its log. Stopping sends SIGTERM to the group, then SIGKILL after a grace
period.
"""

from __future__ import annotations

import errno
import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

Probe = Callable[[], "str | None"]

LOG_TAIL_LINES = 15


class SupervisorError(RuntimeError):
    """A daemon could not be started; ``str()`` is one clear line plus details."""


class MissingBinaryError(SupervisorError):
    """The program a daemon needs is not installed."""


class PortInUseError(SupervisorError):
    """A socket a daemon needs is already bound by another process."""


class DaemonStartError(SupervisorError):
    """A daemon exited at start or did not become ready in time."""


@dataclass(frozen=True, slots=True)
class PortClaim:
    """A socket a daemon will bind, checked before it starts."""

    proto: str  # "udp" or "tcp"
    address: str
    port: int

    def __str__(self) -> str:
        return f"{self.address}:{self.port}/{self.proto}"


@dataclass(frozen=True, slots=True)
class DaemonSpec:
    """How to start one daemon and how to tell it is ready."""

    name: str
    kind: str
    argv: tuple[str, ...]
    directory: Path
    ready: Probe
    ports: tuple[PortClaim, ...] = ()
    package: str = ""
    env: Mapping[str, str] = field(default_factory=dict)

    @property
    def log_path(self) -> Path:
        """Where the daemon's stdout and stderr go."""
        return self.directory / f"{self.name}.log"

    @property
    def label(self) -> str:
        """``kind name`` as used in messages."""
        return f"{self.kind} {self.name}"


@dataclass(slots=True)
class Daemon:
    """A started daemon: its spec and its process."""

    spec: DaemonSpec
    process: subprocess.Popen[bytes]

    @property
    def pid(self) -> int:
        """Process id of the daemon's main process (also its process group id)."""
        return self.process.pid

    def is_running(self) -> bool:
        """True while the main process has not exited."""
        return self.process.poll() is None

    def stop(self, grace: float = 5.0) -> None:
        """SIGTERM the process group, SIGKILL it after ``grace`` seconds."""
        stop_process_group(self.pid, grace, self.process)


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def stop_process_group(
    pgid: int, grace: float = 5.0, process: subprocess.Popen[bytes] | None = None
) -> None:
    """Stop every process of group ``pgid``: TERM, then KILL after ``grace`` seconds."""
    try:
        os.killpg(pgid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline:
        if process is not None:
            process.poll()
        if not _group_alive(pgid):
            return
        time.sleep(0.05)
    try:
        os.killpg(pgid, signal.SIGKILL)
    except ProcessLookupError:
        return
    if process is not None:
        process.wait(timeout=5)
    kill_deadline = time.monotonic() + 5
    while _group_alive(pgid) and time.monotonic() < kill_deadline:
        time.sleep(0.05)


def log_tail(path: Path, lines: int = LOG_TAIL_LINES) -> str:
    """The last ``lines`` lines of a log file ('' when there is none)."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return ""
    return "\n".join(data.decode(errors="replace").splitlines()[-lines:])


def check_port_free(claim: PortClaim) -> bool:
    """True when ``claim`` can be bound right now."""
    kind = socket.SOCK_DGRAM if claim.proto == "udp" else socket.SOCK_STREAM
    with socket.socket(socket.AF_INET, kind) as sock:
        if kind == socket.SOCK_STREAM:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((claim.address, claim.port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                return False
            raise
    return True


class Supervisor:
    """Starts daemons in order and stops them all, newest first."""

    def __init__(self, ready_timeout: float = 30.0, stop_grace: float = 5.0) -> None:
        self.ready_timeout = ready_timeout
        self.stop_grace = stop_grace
        self.daemons: list[Daemon] = []

    def preflight(self, spec: DaemonSpec) -> None:
        """Check the binary exists and the ports are free, with one clear line if not."""
        binary = spec.argv[0]
        if shutil.which(binary) is None and not Path(binary).is_file():
            hint = f" (Debian package {spec.package}; run `make install`)" if spec.package else ""
            raise MissingBinaryError(f"{spec.label}: program {binary!r} is not installed{hint}")
        for claim in spec.ports:
            if not check_port_free(claim):
                raise PortInUseError(
                    f"{spec.label}: {claim} is already in use by another process"
                )

    def start(self, spec: DaemonSpec) -> Daemon:
        """Start ``spec`` and wait until it is ready; raise with the cause if it is not."""
        self.preflight(spec)
        spec.directory.mkdir(parents=True, exist_ok=True)
        env = {**os.environ, **spec.env}
        with spec.log_path.open("ab") as log:
            process = subprocess.Popen(
                spec.argv, cwd=spec.directory, stdout=log, stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL, env=env, start_new_session=True,
            )
        daemon = Daemon(spec, process)
        self.daemons.append(daemon)
        self._wait_ready(daemon)
        return daemon

    def _wait_ready(self, daemon: Daemon) -> None:
        spec = daemon.spec
        deadline = time.monotonic() + self.ready_timeout
        reason: str | None = "not probed yet"
        while time.monotonic() < deadline:
            code = daemon.process.poll()
            if code is not None:
                self._fail(daemon, f"exited at start with code {code}")
            reason = spec.ready()
            if reason is None:
                return
            time.sleep(0.1)
        self._fail(daemon, f"not ready after {self.ready_timeout:.0f}s ({reason})")

    def _fail(self, daemon: Daemon, why: str) -> None:
        spec = daemon.spec
        daemon.stop(self.stop_grace)
        tail = log_tail(spec.log_path)
        raise DaemonStartError(
            f"{spec.label} {why}\n  command: {' '.join(spec.argv)}\n"
            f"  log: {spec.log_path}\n  last lines:\n"
            + "\n".join(f"    {line}" for line in tail.splitlines())
        )

    def stop_all(self) -> None:
        """Stop every daemon this supervisor started, in reverse order."""
        while self.daemons:
            self.daemons.pop().stop(self.stop_grace)

    def start_all(self, specs: Sequence[DaemonSpec]) -> list[Daemon]:
        """Start specs in order; on any failure stop what was started and re-raise."""
        try:
            return [self.start(spec) for spec in specs]
        except BaseException:
            self.stop_all()
            raise

    @contextmanager
    def running(self, specs: Sequence[DaemonSpec]) -> Iterator[list[Daemon]]:
        """Start ``specs`` for the duration of a ``with`` block."""
        daemons = self.start_all(specs)
        try:
            yield daemons
        finally:
            self.stop_all()
