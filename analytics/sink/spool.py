"""The on-disk spool: events are appended and fsync'ed here before they are acknowledged.

Layout of a spool directory:
- ``NNNNNNNNNNNN.seg``: append-only segments of lines ``<table>\\t<json row>\\n``;
- ``state.json``: the checkpoint (everything before it is in ClickHouse) and, while a batch
  is being inserted, that batch (its id and range), replaced atomically (tmp + rename).

After a crash a torn last line (never acknowledged: the fsync had not returned) is cut off,
and the reader resumes at the checkpoint; the writer settles the in-flight batch first.
One process owns a spool directory (an exclusive flock enforces it).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

_BLOCK = 8 << 20


class SpoolError(RuntimeError):
    """The spool cannot take or give events (disk full, directory owned by another process)."""


class SpoolFull(SpoolError):
    """The spool reached its size bound: ClickHouse has been unreachable for too long."""


@dataclass(frozen=True, order=True)
class Position:
    """A byte position in the spool: segment number and offset in it."""

    segment: int
    offset: int


@dataclass(frozen=True)
class InFlight:
    """A batch whose insert started but whose checkpoint was not yet written."""

    batch_id: int
    start: Position
    end: Position


@dataclass(frozen=True)
class SpooledEvent:
    """One spool record: an event's JSON row, or a JSONColumns block of ``rows`` events."""

    table: str
    line: str
    rows: int = 1

    @property
    def is_block(self) -> bool:
        """True for a column block."""
        return self.line.startswith("{")


def _encode(table: str, payload: str, rows: int) -> bytes:
    # A block keeps its row count on the line, so counting rows never parses JSON.
    if payload.startswith("{"):
        return f"{table}\t{rows}\t{payload}\n".encode()
    return f"{table}\t{payload}\n".encode()


def _decode(raw: str) -> SpooledEvent:
    table, _, rest = raw.partition("\t")
    if rest.startswith("["):
        return SpooledEvent(table, rest)
    count, _, payload = rest.partition("\t")
    if count.isdigit() and payload.startswith("{"):
        return SpooledEvent(table, payload, int(count))
    return SpooledEvent(table, rest)  # unreadable: the batch code dead-letters it


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class Spool:
    """An append-only, crash-safe event log with a checkpoint. Thread-safe for one writer
    thread and one reader thread."""

    def __init__(self, directory: Path, segment_bytes: int = 64 << 20,
                 max_bytes: int = 1 << 30) -> None:
        self.directory = directory
        self.segment_bytes = segment_bytes
        self.max_bytes = max_bytes
        directory.mkdir(parents=True, exist_ok=True)
        self._lock_fd = os.open(directory / "lock", os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(self._lock_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            os.close(self._lock_fd)
            raise SpoolError(f"spool {directory} is owned by another process") from exc
        self._mutex = threading.Lock()
        self.checkpoint, self.inflight = self._load_state()
        segments = self._segments()
        for seg in segments:
            self._cut_torn_tail(seg)
        last = segments[-1] if segments else max(self.checkpoint.segment, 1)
        self._file = open(self._segment_path(last), "ab")  # noqa: SIM115 - kept open
        self._end = Position(last, self._file.tell())
        self.rows_pending = self._count_rows(self.checkpoint, self._end)

    # -- writer side ---------------------------------------------------------------

    def append(self, records: Sequence[tuple[str, str, int]]) -> Position:
        """Append ``(table, JSON row or block, rows)`` records durably; return the new end."""
        data = b"".join(_encode(t, payload, n) for t, payload, n in records)
        if self.bytes_pending + len(data) > self.max_bytes:
            raise SpoolFull(
                f"spool {self.directory} holds {self.bytes_pending} bytes (bound "
                f"{self.max_bytes}): ClickHouse has not taken events for too long")
        try:
            if self._file.tell() > 0 and self._file.tell() + len(data) > self.segment_bytes:
                self._roll()
        except OSError as exc:
            raise SpoolError(f"cannot start a spool segment in {self.directory}: {exc}") from exc
        before = self._file.tell()
        try:
            self._file.write(data)
            self._file.flush()
            os.fsync(self._file.fileno())
        except OSError as exc:
            # Cut a half-written tail, or the next record would be glued to it.
            with contextlib.suppress(OSError):
                self._file.truncate(before)
                self._file.seek(before)
            raise SpoolError(f"cannot write spool {self.directory}: {exc}") from exc
        with self._mutex:
            self._end = Position(self._end.segment, self._file.tell())
            self.rows_pending += sum(n for _, _, n in records)
            return self._end

    def _roll(self) -> None:
        self._file.close()
        nxt = self._end.segment + 1
        self._file = open(self._segment_path(nxt), "ab")  # noqa: SIM115 - kept open
        _fsync_dir(self.directory)
        with self._mutex:
            self._end = Position(nxt, 0)

    # -- reader side ---------------------------------------------------------------

    @property
    def end(self) -> Position:
        """End of the acknowledged events."""
        with self._mutex:
            return self._end

    @property
    def bytes_pending(self) -> int:
        """Bytes of spooled events not yet checkpointed."""
        end = self.end
        total = 0
        for seg in range(self.checkpoint.segment, end.segment + 1):
            size = end.offset if seg == end.segment else self._size(seg)
            total += size - (self.checkpoint.offset if seg == self.checkpoint.segment else 0)
        return total

    def read(self, start: Position, max_rows: int,
             until: Position | None = None) -> tuple[list[SpooledEvent], Position]:
        """Up to ``max_rows`` events from ``start`` (to ``until`` or the acknowledged end),
        and the position after the last one returned."""
        end = until or self.end
        events: list[SpooledEvent] = []
        pos = start
        rows = 0
        while rows < max_rows:
            stop = end.offset if pos.segment == end.segment else self._size(pos.segment)
            offset, taken = self._read_segment(pos, stop, max_rows - rows, events)
            rows += taken
            pos = Position(pos.segment, offset)
            if offset < stop or pos.segment >= end.segment:
                break
            pos = Position(pos.segment + 1, 0)
        return events, pos

    def _read_segment(self, pos: Position, stop: int, room: int,
                      out: list[SpooledEvent]) -> tuple[int, int]:
        """Append up to ``room`` rows of one segment from ``pos`` to ``stop``; return the
        offset reached and the rows taken. Reads big chunks: per-line reads cost more than
        the inserts."""
        offset, wanted = pos.offset, room
        path = self._segment_path(pos.segment)
        if not path.exists():
            return stop, 0
        with open(path, "rb") as f:
            while offset < stop and room > 0:
                f.seek(offset)
                block = f.read(min(_BLOCK, stop - offset))
                cut = block.rfind(b"\n") + 1
                if cut == 0:
                    break
                lines = block[:cut].decode().split("\n")[:-1]
                taken = 0
                for raw in lines:
                    event = _decode(raw)
                    # Rows are counted, and a block is never split: stop before one that
                    # would overflow, unless nothing was taken yet.
                    if room <= 0 or (event.rows > room and out):
                        break
                    out.append(event)
                    room -= event.rows
                    taken += 1
                if taken < len(lines):
                    cut = sum(len(line.encode()) + 1 for line in lines[:taken])
                offset += cut
                if taken < len(lines):
                    break
        return offset, wanted - room

    def begin(self, inflight: InFlight) -> None:
        """Record that ``inflight`` is about to be inserted."""
        self._write_state(self.checkpoint, inflight)
        self.inflight = inflight

    def commit(self, end: Position, rows: int) -> None:
        """Everything before ``end`` is in ClickHouse: move the checkpoint, drop old segments."""
        self._write_state(end, None)
        self.checkpoint, self.inflight = end, None
        with self._mutex:
            self.rows_pending -= rows
        for seg in self._segments():
            if seg < end.segment:
                self._segment_path(seg).unlink(missing_ok=True)

    def close(self) -> None:
        """Close the segment and release the directory."""
        self._file.close()
        os.close(self._lock_fd)

    # -- internals -----------------------------------------------------------------

    def _count_rows(self, start: Position, end: Position) -> int:
        total = 0
        for seg in range(start.segment, end.segment + 1):
            path = self._segment_path(seg)
            if not path.exists():
                continue
            with open(path, "rb") as f:
                f.seek(start.offset if seg == start.segment else 0)
                data = f.read() if seg != end.segment else f.read(
                    max(0, end.offset - (start.offset if seg == start.segment else 0)))
            for raw in data.decode().split("\n")[:-1]:
                total += _decode(raw).rows
        return total

    def _segments(self) -> list[int]:
        return sorted(int(p.stem) for p in self.directory.glob("*.seg"))

    def _segment_path(self, seg: int) -> Path:
        return self.directory / f"{seg:012d}.seg"

    def _size(self, seg: int) -> int:
        try:
            return self._segment_path(seg).stat().st_size
        except FileNotFoundError:
            return 0

    def _cut_torn_tail(self, seg: int) -> None:
        path = self._segment_path(seg)
        data = path.read_bytes()
        keep = data.rfind(b"\n") + 1
        if keep != len(data):
            with open(path, "r+b") as f:
                f.truncate(keep)
                os.fsync(f.fileno())

    def _load_state(self) -> tuple[Position, InFlight | None]:
        path = self.directory / "state.json"
        if not path.exists():
            return Position(1, 0), None
        state = json.loads(path.read_text())
        checkpoint = Position(*state["checkpoint"])
        raw = state.get("inflight")
        inflight = None if raw is None else InFlight(
            int(raw["batch_id"]), Position(*raw["start"]), Position(*raw["end"]))
        return checkpoint, inflight

    def _write_state(self, checkpoint: Position, inflight: InFlight | None) -> None:
        state: dict[str, object] = {
            "checkpoint": [checkpoint.segment, checkpoint.offset],
            "inflight": None if inflight is None else {
                "batch_id": inflight.batch_id,
                "start": [inflight.start.segment, inflight.start.offset],
                "end": [inflight.end.segment, inflight.end.offset],
            },
        }
        tmp = self.directory / "state.json.tmp"
        with open(tmp, "w") as f:
            json.dump(state, f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, self.directory / "state.json")
        _fsync_dir(self.directory)
