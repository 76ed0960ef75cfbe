"""Dead letters: events the sink refused, kept with their reason instead of dropped."""

from __future__ import annotations

import json
import os
import threading
import time
from pathlib import Path


class DeadLetters:
    """An append-only JSON-lines file of refused events and a count of them."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.count = 0
        self._lock = threading.Lock()
        path.parent.mkdir(parents=True, exist_ok=True)

    def add(self, table: str, reason: str, event: object) -> None:
        """Record one refused event (``event`` as given, or its spooled JSON text)."""
        self.add_many(table, reason, [event])

    def add_many(self, table: str, reason: str, events: list[object]) -> None:
        """Record refused events sharing one reason, durably."""
        at = time.time()
        text = "".join(
            json.dumps({"at": at, "table": table, "reason": reason, "event": e},
                       default=str, ensure_ascii=False) + "\n"
            for e in events
        )
        with self._lock, open(self.path, "a", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
            self.count += len(events)
