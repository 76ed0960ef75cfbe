"""The on-disk spool: durability bookkeeping, torn tails, segments, bound, ownership."""

from __future__ import annotations

import errno
from pathlib import Path
from typing import Any

import pytest

from analytics.sink.spool import InFlight, Position, Spool, SpoolError, SpoolFull


def _records(first: int, n: int) -> list[tuple[str, str, int]]:
    return [("queue_calls", f'["e{i}"]', 1) for i in range(first, first + n)]


def test_append_read_commit_and_reopen(tmp_path: Path) -> None:
    spool = Spool(tmp_path)
    spool.append(_records(0, 5))
    events, end = spool.read(spool.checkpoint, max_rows=3)
    assert [e.line for e in events] == [f'["e{i}"]' for i in range(3)]
    spool.begin(InFlight(42, spool.checkpoint, end))
    spool.close()

    reopened = Spool(tmp_path)
    assert reopened.inflight == InFlight(42, Position(1, 0), end)
    assert reopened.rows_pending == 5
    reopened.commit(end, 3)
    rest, _ = reopened.read(reopened.checkpoint, max_rows=100)
    assert [e.line for e in rest] == ['["e3"]', '["e4"]']
    reopened.close()
    assert Spool(tmp_path).rows_pending == 2


def test_torn_last_line_is_cut_off(tmp_path: Path) -> None:
    spool = Spool(tmp_path)
    spool.append(_records(0, 2))
    spool.close()
    segment = next(tmp_path.glob("*.seg"))
    with open(segment, "ab") as f:
        f.write(b'queue_calls\t["half')  # the fsync never returned
    reopened = Spool(tmp_path)
    assert reopened.rows_pending == 2
    reopened.append(_records(2, 1))
    events, _ = reopened.read(reopened.checkpoint, max_rows=10)
    assert [e.line for e in events][-1] == '["e2"]'


def test_segments_roll_and_old_ones_go_after_commit(tmp_path: Path) -> None:
    spool = Spool(tmp_path, segment_bytes=200)
    for i in range(10):
        spool.append(_records(i * 3, 3))
    assert len(list(tmp_path.glob("*.seg"))) > 3
    events, end = spool.read(spool.checkpoint, max_rows=1000)
    assert len(events) == 30
    spool.commit(end, 30)
    assert len(list(tmp_path.glob("*.seg"))) == 1
    assert spool.rows_pending == 0 and spool.bytes_pending == 0


def test_bound_refuses_instead_of_growing(tmp_path: Path) -> None:
    spool = Spool(tmp_path, max_bytes=150)
    spool.append(_records(0, 5))
    with pytest.raises(SpoolFull, match="bound"):
        spool.append(_records(5, 5))
    assert spool.rows_pending == 5


def test_one_owner(tmp_path: Path) -> None:
    spool = Spool(tmp_path)
    with pytest.raises(SpoolError, match="owned by another process"):
        Spool(tmp_path)
    spool.close()
    Spool(tmp_path).close()


class _DiskFullAfterHalf:
    """Wraps the segment file: writes half of what it is given, then fails like ENOSPC."""

    def __init__(self, real: Any) -> None:
        self.real = real

    def write(self, data: bytes) -> int:
        self.real.write(data[: len(data) // 2])
        self.real.flush()
        raise OSError(errno.ENOSPC, "No space left on device")

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)


def test_a_failed_write_leaves_no_half_line(tmp_path: Path) -> None:
    spool = Spool(tmp_path)
    spool.append(_records(0, 1))
    real = spool._file
    spool._file = _DiskFullAfterHalf(real)  # type: ignore[assignment]
    with pytest.raises(SpoolError, match="No space left"):
        spool.append(_records(1, 4))
    spool._file = real
    spool.append(_records(5, 1))
    events, _ = spool.read(spool.checkpoint, max_rows=100)
    assert [e.line for e in events] == ['["e0"]', '["e5"]']
    assert spool.rows_pending == 2


def test_blocks_count_their_rows_and_are_never_split(tmp_path: Path) -> None:
    spool = Spool(tmp_path)
    spool.append([("queue_calls", '["e0"]', 1), ("queue_calls", '{"event_id":["b1","b2","b3"]}', 3),
                  ("queue_calls", '["e4"]', 1)])
    assert spool.rows_pending == 5
    first, end = spool.read(spool.checkpoint, max_rows=2)
    assert [(e.line, e.rows) for e in first] == [('["e0"]', 1)]  # the block would overflow
    second, _ = spool.read(end, max_rows=2)
    assert [(e.rows, e.is_block) for e in second] == [(3, True)]  # alone, it is taken whole
    spool.close()
    assert Spool(tmp_path).rows_pending == 5
