"""A real Prometheus (Debian's ``prometheus``) started by a test with a rendered config."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any


def _free_port(host: str) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


@dataclass
class RunningPrometheus:
    """A started server: its HTTP API and how to stop it."""

    url: str
    process: subprocess.Popen[bytes]
    log: Path

    def api(self, path: str, **params: str) -> Any:
        """GET ``/api/v1/<path>`` and return its ``data``."""
        query = f"?{urllib.parse.urlencode(params)}" if params else ""
        with urllib.request.urlopen(f"{self.url}/api/v1/{path}{query}", timeout=10) as r:
            body = json.loads(r.read())
        assert body["status"] == "success", body
        return body["data"]

    def query(self, promql: str) -> list[dict[str, Any]]:
        """The instant vector of ``promql`` now."""
        return list(self.api("query", query=promql)["result"])

    def stop(self) -> None:
        """Terminate the server's process group and wait for it."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=5)


def start_prometheus(config: Path, root: Path, host: str = "127.0.0.1") -> RunningPrometheus:
    """Start ``prometheus`` on a free port of ``host`` with its data under ``root``."""
    port = _free_port(host)
    log = root / "prometheus.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            ["prometheus", f"--config.file={config}", f"--storage.tsdb.path={root / 'data'}",
             f"--web.listen-address={host}:{port}", "--log.level=warn"],
            stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    running = RunningPrometheus(f"http://{host}:{port}", process, log)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"prometheus exited: {log.read_text()[-2000:]}")
        try:
            with urllib.request.urlopen(f"{running.url}/-/ready", timeout=1) as r:
                if r.status == 200:
                    return running
        except OSError:
            pass
        time.sleep(0.2)
    running.stop()
    raise RuntimeError(f"prometheus not ready in 30 s: {log.read_text()[-2000:]}")
