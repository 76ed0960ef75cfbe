"""A real PostgreSQL server for tests, from Debian's binaries, in a throwaway directory.

Debian's ``postgres`` refuses to run as root, so when the tests run as root the cluster
is created and started as the ``postgres`` user (``runuser``) in a temporary directory it
owns. It listens on loopback on a free port with its Unix socket in that directory; the
Debian cluster service (``pg_ctlcluster``) is neither needed nor touched.

Use it from a conftest::

    from tests.support_pg import postgres_server  # noqa: F401  (the session fixture)

and make one database per test with ``server.create_database()``.
"""

from __future__ import annotations

import glob
import os
import secrets
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

PG_BIN_GLOB = "/usr/lib/postgresql/*/bin"
RUN_AS = "postgres"  # the Debian package's system user


class PostgresMissing(RuntimeError):
    """Debian's PostgreSQL server binaries are not installed."""


def pg_bin_dir() -> Path:
    """Directory of the newest installed server binaries (initdb, pg_ctl, postgres)."""
    found = [Path(d) for d in glob.glob(PG_BIN_GLOB) if (Path(d) / "initdb").exists()]
    if not found:
        raise PostgresMissing(
            f"no PostgreSQL server binaries under {PG_BIN_GLOB}: install the Debian package "
            "`postgresql` (listed in .ci/apt-packages.txt; run .ci/bootstrap.sh)"
        )
    return max(found, key=lambda d: int(d.parent.name.split(".")[0]))


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _as_owner(argv: list[str]) -> list[str]:
    """``argv`` run as the postgres user when we are root (postgres refuses root)."""
    if os.geteuid() == 0:
        return ["runuser", "-u", RUN_AS, "--", *argv]
    return argv


@dataclass
class PostgresServer:
    """A running server: where it listens, how to make databases on it, how to stop it."""

    root: Path
    port: int
    bin_dir: Path
    user: str = "postgres"
    host: str = "127.0.0.1"
    _databases: list[str] = field(default_factory=list)

    @property
    def data_dir(self) -> Path:
        """The cluster's data directory."""
        return self.root / "data"

    def url(self, database: str = "postgres") -> str:
        """SQLAlchemy URL (psycopg 3) of ``database`` over loopback TCP."""
        return f"postgresql+psycopg://{self.user}@{self.host}:{self.port}/{database}"

    def psql(self, sql: str, database: str = "postgres") -> str:
        """Run ``sql`` with psql over the Unix socket; its output (raises on error)."""
        argv = [str(self.bin_dir / "psql"), "-h", str(self.root), "-p", str(self.port),
                "-U", self.user, "-d", database, "-v", "ON_ERROR_STOP=1", "-Atc", sql]
        done = subprocess.run(argv, capture_output=True, text=True, timeout=60, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"psql failed: {done.stderr.strip()}")
        return done.stdout

    def create_database(self, prefix: str = "t") -> str:
        """A fresh, empty database; its name."""
        name = f"{prefix}_{secrets.token_hex(6)}"
        self.psql(f'CREATE DATABASE "{name}"')
        self._databases.append(name)
        return name

    def drop_database(self, name: str) -> None:
        """Drop a database made by :meth:`create_database`, disconnecting its clients."""
        self.psql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if name in self._databases:
            self._databases.remove(name)

    def stop(self) -> None:
        """Fast shutdown (disconnects clients), then remove the directory."""
        subprocess.run(
            _as_owner([str(self.bin_dir / "pg_ctl"), "-D", str(self.data_dir), "-m", "fast",
                       "-w", "-t", "30", "stop"]),
            capture_output=True, timeout=60, check=False,
        )
        shutil.rmtree(self.root, ignore_errors=True)


def start_postgres(base: Path | None = None) -> PostgresServer:
    """initdb and start a server in a new directory under ``base`` (default /tmp)."""
    bin_dir = pg_bin_dir()
    # Short path: the Unix socket path must stay under 108 bytes.
    root = Path(tempfile.mkdtemp(prefix="pg-", dir=base or "/tmp"))
    if os.geteuid() == 0:
        shutil.chown(root, user=RUN_AS, group=RUN_AS)
    root.chmod(0o700)
    data = root / "data"
    init = subprocess.run(
        _as_owner([str(bin_dir / "initdb"), "-D", str(data), "-U", "postgres",
                   "--auth=trust", "-E", "UTF8", "--locale=C", "--no-sync"]),
        capture_output=True, text=True, timeout=120, check=False,
    )
    if init.returncode != 0:
        shutil.rmtree(root, ignore_errors=True)
        raise RuntimeError(f"initdb failed: {init.stderr.strip() or init.stdout.strip()}")
    last_error = ""
    for _attempt in range(3):  # a free port can be taken between probing and binding
        port = _free_port()
        # Durability is not under test: no fsync makes the many DDL statements quick.
        options = (f"-h 127.0.0.1 -p {port} -k {root} -c fsync=off "
                   "-c synchronous_commit=off -c full_page_writes=off")
        started = subprocess.run(
            _as_owner([str(bin_dir / "pg_ctl"), "-D", str(data), "-l", str(root / "log"),
                       "-o", options, "-w", "-t", "60", "start"]),
            capture_output=True, text=True, timeout=90, check=False,
        )
        if started.returncode == 0:
            return PostgresServer(root=root, port=port, bin_dir=bin_dir)
        log = root / "log"
        last_error = log.read_text(errors="replace")[-2000:] if log.exists() else ""
        last_error = last_error or started.stderr
    shutil.rmtree(root, ignore_errors=True)
    raise RuntimeError(f"PostgreSQL did not start: {last_error.strip()}")


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """One PostgreSQL server for the test session, stopped at its end."""
    server = start_postgres()
    try:
        yield server
    finally:
        server.stop()
