"""The event ids a sink saw lately, so a producer's repeated emit is dropped before the spool.

Two generations of plain sets per table: lookups and inserts of a whole block run as set
operations at C speed (an ordered dict touched per id cost more than validating the
block). When the young generation holds half the capacity it becomes the old one and the
previous old one is forgotten, so between ``capacity / 2`` and ``capacity`` ids are kept.
"""

from __future__ import annotations

from collections.abc import Sequence


class RecentIds:
    """Recently accepted ``(table, event_id)`` pairs, bounded."""

    def __init__(self, capacity: int) -> None:
        if capacity < 2:
            raise ValueError("remember at least 2 event ids")
        self._half = capacity // 2
        self._young: dict[str, set[str]] = {}
        self._old: dict[str, set[str]] = {}
        self._size = 0

    def __len__(self) -> int:
        return self._size + sum(len(s) for s in self._old.values())

    def __contains__(self, key: tuple[str, str]) -> bool:
        table, event_id = key
        return event_id in self._young.get(table, ()) or event_id in self._old.get(table, ())

    def admit(self, table: str, ids: Sequence[str]) -> list[int] | None:
        """Remember the ids not seen before; return their indices, or None when all are new.

        An id repeated within ``ids`` is new once, at its first place.
        """
        young = self._young.setdefault(table, set())
        old = self._old.get(table, set())
        if young.isdisjoint(ids) and old.isdisjoint(ids):
            distinct = set(ids)
            if len(distinct) == len(ids):
                self._add(table, distinct)
                return None
        fresh: list[int] = []
        taken: set[str] = set()
        for i, event_id in enumerate(ids):
            if event_id in young or event_id in old or event_id in taken:
                continue
            taken.add(event_id)
            fresh.append(i)
        self._add(table, taken)
        return fresh

    def admit_one(self, table: str, event_id: str) -> bool:
        """Remember one id; False if it was seen lately."""
        if (table, event_id) in self:
            return False
        self._add(table, {event_id})
        return True

    def forget(self, table: str, ids: Sequence[str]) -> None:
        """Drop ids that were admitted but not acknowledged (a retry must not be a duplicate)."""
        young = self._young.get(table)
        if young is not None:
            before = len(young)
            young.difference_update(ids)
            self._size -= before - len(young)
        old = self._old.get(table)
        if old is not None:
            old.difference_update(ids)

    def _add(self, table: str, ids: set[str]) -> None:
        if self._size + len(ids) > self._half:
            self._old, self._young, self._size = self._young, {}, 0
        young = self._young.setdefault(table, set())
        before = len(young)
        young |= ids
        self._size += len(young) - before
