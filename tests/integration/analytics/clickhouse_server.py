"""A real Debian clickhouse-server started for tests: own config, loopback range, ports."""

from __future__ import annotations

import logging
import os
import random
import secrets
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from clickhouse_driver import Client

CANDIDATES = ("/usr/bin/clickhouse-server", "/usr/sbin/clickhouse-server")


def server_binary() -> str | None:
    """Path of clickhouse-server, if installed."""
    found = shutil.which("clickhouse-server")
    if found:
        return found
    return next((p for p in CANDIDATES if os.access(p, os.X_OK)), None)


def _free_port(host: str) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def _config(root: Path, host: str, tcp: int, http: int) -> str:
    return f"""<?xml version="1.0"?>
<yandex>
  <logger><level>warning</level><log>{root}/log/server.log</log>
    <errorlog>{root}/log/err.log</errorlog><size>10M</size><count>1</count></logger>
  <listen_host>{host}</listen_host>
  <tcp_port>{tcp}</tcp_port>
  <http_port>{http}</http_port>
  <path>{root}/data/</path>
  <tmp_path>{root}/tmp/</tmp_path>
  <user_files_path>{root}/user_files/</user_files_path>
  <format_schema_path>{root}/format_schemas/</format_schema_path>
  <users_config>{root}/users.xml</users_config>
  <default_profile>default</default_profile>
  <default_database>default</default_database>
  <mark_cache_size>104857600</mark_cache_size>
  <uncompressed_cache_size>104857600</uncompressed_cache_size>
  <timezone>UTC</timezone>
  <mlock_executable>false</mlock_executable>
</yandex>
"""


_USERS = """<?xml version="1.0"?>
<yandex>
  <profiles><default><max_memory_usage>2000000000</max_memory_usage></default></profiles>
  <users><default><password></password><networks><ip>127.0.0.0/8</ip></networks>
    <profile>default</profile><quota>default</quota></default></users>
  <quotas><default></default></quotas>
</yandex>
"""


@dataclass
class RunningClickHouse:
    """A started server: where it listens and how to stop it."""

    host: str
    port: int
    root: Path
    process: subprocess.Popen[bytes]
    http_port: int = 0

    def stop(self) -> None:
        """Kill the server's process group and wait for it."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)


def start_clickhouse(root: Path, ready_within_s: float = 30.0) -> RunningClickHouse:
    """Start clickhouse-server under ``root`` on a random 127.100-250.x.y address."""
    binary = server_binary()
    if binary is None:
        raise RuntimeError("clickhouse-server is not installed (Debian package clickhouse-server)")
    rng = random.Random(secrets.randbits(64))
    host = f"127.{rng.randint(100, 250)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}"
    tcp, http = _free_port(host), _free_port(host)
    for sub in ("log", "data", "tmp", "user_files", "format_schemas"):
        (root / sub).mkdir(parents=True, exist_ok=True)
    (root / "config.xml").write_text(_config(root, host, tcp, http))
    (root / "users.xml").write_text(_USERS)
    out = open(root / "stdout.log", "wb")  # noqa: SIM115 - the server keeps it
    process = subprocess.Popen(
        [binary, f"--config-file={root / 'config.xml'}"],
        stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    server = RunningClickHouse(host, tcp, root, process, http_port=http)
    # Refused connections are expected while the server starts: keep them out of the logs.
    driver_log = logging.getLogger("clickhouse_driver.connection")
    level = driver_log.level
    driver_log.setLevel(logging.CRITICAL)
    try:
        _wait_ready(server, time.monotonic() + ready_within_s)
    finally:
        driver_log.setLevel(level)
    return server


def _wait_ready(server: RunningClickHouse, deadline: float) -> None:
    while True:
        if server.process.poll() is not None:
            log = server.root / "log" / "err.log"
            tail = log.read_text()[-2000:] if log.exists() else ""
            raise RuntimeError(
                f"clickhouse-server exited with {server.process.returncode}: {tail}")
        try:
            client = Client(host=server.host, port=server.port, connect_timeout=1)
            if client.execute("SELECT 1") == [(1,)]:
                client.disconnect()
                return
        except Exception:
            if time.monotonic() > deadline:
                server.stop()
                raise
        time.sleep(0.2)
