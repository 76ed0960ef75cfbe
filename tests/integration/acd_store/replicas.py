"""Replica processes (`control_plane.acd_store.replica_demo`) driven from a test."""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

from control_plane.acd.events import Event
from control_plane.acd_store.codec import encode_value


class ReplicaProcess:
    """One replica in its own OS process, with its stdout read on a thread."""

    def __init__(self, url: str, name: str, *, log_dir: Path, lease_ttl_s: float = 2.0,
                 hash_seed: int = 0) -> None:
        self.name = name
        self.log_path = log_dir / f"replica-{name}.log"
        env = dict(os.environ, PYTHONHASHSEED=str(hash_seed))  # replicas hash differently
        with self.log_path.open("ab") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "control_plane.acd_store.replica_demo", "--redis", url,
                 "--replica", name, "--lease-ttl", str(lease_ttl_s),
                 "--checkpoint-every", "7"],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log, env=env)
        self.notes: list[dict[str, Any]] = []
        self._replies: queue.Queue[dict[str, Any]] = queue.Queue()
        self._next = 0
        threading.Thread(target=self._read, daemon=True).start()
        self.wait_note(lambda n: n.get("note") == "ready", within_s=20)

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            doc = json.loads(line)
            if "note" in doc:
                self.notes.append(doc)
            else:
                self._replies.put(doc)

    def request(self, op: str, **fields: Any) -> dict[str, Any]:
        """Send one request and wait for its answer."""
        self._next += 1
        assert self.proc.stdin is not None
        self.proc.stdin.write((json.dumps({"id": self._next, "op": op, **fields}) + "\n")
                              .encode())
        self.proc.stdin.flush()
        reply = self._replies.get(timeout=20)
        assert reply["id"] == self._next, reply
        return reply

    def apply(self, event: Event) -> dict[str, Any]:
        """Apply an event on this replica."""
        return self.request("apply", event=encode_value(event))

    def wait_note(self, match: Any, within_s: float) -> dict[str, Any]:
        """The first note matching, waiting at most `within_s`."""
        deadline = time.monotonic() + within_s
        while time.monotonic() < deadline:
            for note in list(self.notes):
                if match(note):
                    return note
            time.sleep(0.02)
        raise AssertionError(f"replica {self.name}: no such note within {within_s} s; "
                             f"log {self.log_path}")

    def kill(self) -> None:
        """kill -9."""
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)

    def close(self) -> None:
        """Close stdin (a graceful stop) or kill if it does not end."""
        if self.proc.poll() is None:
            assert self.proc.stdin is not None
            self.proc.stdin.close()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()
