"""The SQL adapter of the recordings index (``control_plane.recordings.index``).

Each call is one short transaction in a worker thread, so the event loop never waits on the
database; errors come out as :mod:`control_plane.db.errors` (the API maps them). A
recording's team is its agent's current team (an outer join), which is what a team lead's
reach is checked against.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Engine, Select, func, select, update
from sqlalchemy.orm import Session

from control_plane.db.errors import NotFound, ValidationFailed
from control_plane.db.models import Agent, Queue, QueueMember, Recording, Voicemail
from control_plane.db.repos.base import flush, translated
from control_plane.db.repos.fields import check_page
from control_plane.recordings.index import (
    EntryPage,
    NewRecording,
    NewVoicemail,
    QueueReach,
    RecordingEntry,
    RecordingFilter,
    VoicemailEntry,
)

T = TypeVar("T")


def _recording(row: Recording, team_id: int | None) -> RecordingEntry:
    return RecordingEntry(
        id=row.id, tenant=row.tenant, call_id=row.call_id, queue_id=row.queue_id,
        agent_id=row.agent_id, team_id=team_id, started_at=row.started_at,
        ended_at=row.ended_at, file_path=Path(row.file_path),
        duration_seconds=row.duration_seconds, size_bytes=row.size_bytes)


def _voicemail(row: Voicemail) -> VoicemailEntry:
    return VoicemailEntry(
        id=row.id, tenant=row.tenant, queue_id=row.queue_id, caller_number=row.caller_number,
        received_at=row.received_at, file_path=Path(row.file_path),
        duration_seconds=row.duration_seconds, listened=row.listened)


def _same_tenant(s: Session, tenant: str, field: str, model: Any, key: int | None) -> None:
    # Checked by name rather than left to the foreign key: a queue or agent of another
    # tenant must not be attached to this tenant's audio, and the error names the field.
    if key is None:
        return
    row = s.get(model, key)
    if row is None or row.tenant != tenant:
        raise ValidationFailed(field, f"no {model.__tablename__} {key!r} in tenant {tenant!r}")


def _recordings_query(where: RecordingFilter) -> Select[Recording, int | None]:
    stmt = (select(Recording, Agent.team_id)
            .outerjoin(Agent, Agent.id == Recording.agent_id)
            .where(Recording.tenant == where.tenant))
    if where.call_id is not None:
        stmt = stmt.where(Recording.call_id == where.call_id)
    if where.queue_id is not None:
        stmt = stmt.where(Recording.queue_id == where.queue_id)
    if where.agent_id is not None:
        stmt = stmt.where(Recording.agent_id == where.agent_id)
    if where.team_id is not None:
        stmt = stmt.where(Agent.team_id == where.team_id)
    if where.since is not None:
        stmt = stmt.where(Recording.started_at >= where.since)
    if where.until is not None:
        stmt = stmt.where(Recording.started_at < where.until)
    return stmt


def _voicemail_page(s: Session, stmt: Select[Voicemail], offset: int,
                    limit: int) -> EntryPage[VoicemailEntry]:
    total = s.scalar(select(func.count()).select_from(stmt.subquery()))
    rows = s.scalars(stmt.order_by(Voicemail.received_at.desc(), Voicemail.id.desc())
                     .offset(offset).limit(limit))
    return EntryPage([_voicemail(r) for r in rows], offset, limit, int(total or 0))


class SqlRecordings:
    """Recordings and voicemails in the configuration database (SQLite or PostgreSQL)."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def _run(self, work: Callable[[Session], T]) -> T:
        # translated() outside begin(): a failed COMMIT is "unavailable" too.
        with Session(self._engine, expire_on_commit=False) as session, translated(), \
                session.begin():
            return work(session)

    async def _call(self, work: Callable[[Session], T]) -> T:
        return await asyncio.to_thread(self._run, work)

    async def add_recording(self, entry: NewRecording) -> int:
        """See :meth:`RecordingIndex.add_recording`."""
        def work(s: Session) -> int:
            _same_tenant(s, entry.tenant, "queue_id", Queue, entry.queue_id)
            _same_tenant(s, entry.tenant, "agent_id", Agent, entry.agent_id)
            row = Recording(
                tenant=entry.tenant, call_id=entry.call_id, queue_id=entry.queue_id,
                agent_id=entry.agent_id, started_at=entry.started_at, ended_at=entry.ended_at,
                file_path=str(entry.file_path), duration_seconds=entry.duration_seconds,
                size_bytes=entry.size_bytes)
            s.add(row)
            flush(s)
            return row.id
        return await self._call(work)

    async def add_voicemail(self, entry: NewVoicemail) -> int:
        """See :meth:`RecordingIndex.add_voicemail`."""
        def work(s: Session) -> int:
            _same_tenant(s, entry.tenant, "queue_id", Queue, entry.queue_id)
            row = Voicemail(
                tenant=entry.tenant, queue_id=entry.queue_id, caller_number=entry.caller_number,
                received_at=entry.received_at, file_path=str(entry.file_path),
                duration_seconds=entry.duration_seconds, listened=False)
            s.add(row)
            flush(s)
            return row.id
        return await self._call(work)

    async def list_recordings(self, where: RecordingFilter, *, offset: int,
                              limit: int) -> EntryPage[RecordingEntry]:
        """See :meth:`RecordingStore.list_recordings` (newest first, then by id)."""
        check_page(limit, offset)

        def work(s: Session) -> EntryPage[RecordingEntry]:
            stmt = _recordings_query(where)
            total = s.scalar(select(func.count()).select_from(stmt.subquery()))
            rows = s.execute(stmt.order_by(Recording.started_at.desc(), Recording.id.desc())
                             .offset(offset).limit(limit)).all()
            return EntryPage([_recording(r, team) for r, team in rows], offset, limit,
                             int(total or 0))
        return await self._call(work)

    async def recording(self, recording_id: int) -> RecordingEntry | None:
        """See :meth:`RecordingStore.recording`."""
        def work(s: Session) -> RecordingEntry | None:
            found = s.execute(select(Recording, Agent.team_id)
                              .outerjoin(Agent, Agent.id == Recording.agent_id)
                              .where(Recording.id == recording_id)).first()
            return None if found is None else _recording(found[0], found[1])
        return await self._call(work)

    async def queue_reach(self, queue_id: int) -> QueueReach | None:
        """See :meth:`RecordingStore.queue_reach`."""
        def work(s: Session) -> QueueReach | None:
            queue = s.get(Queue, queue_id)
            if queue is None:
                return None
            members = s.execute(select(Agent.id, Agent.team_id)
                                .join(QueueMember, QueueMember.agent_id == Agent.id)
                                .where(QueueMember.queue_id == queue_id)).all()
            return QueueReach(tenant=queue.tenant,
                              agent_ids=frozenset(a for a, _ in members),
                              team_ids=frozenset(t for _, t in members if t is not None))
        return await self._call(work)

    async def list_voicemails(self, queue_id: int, *, listened: bool | None, offset: int,
                              limit: int) -> EntryPage[VoicemailEntry]:
        """See :meth:`RecordingStore.list_voicemails` (newest first, then by id)."""
        check_page(limit, offset)

        def work(s: Session) -> EntryPage[VoicemailEntry]:
            stmt = select(Voicemail).where(Voicemail.queue_id == queue_id)
            if listened is not None:
                stmt = stmt.where(Voicemail.listened == listened)
            return _voicemail_page(s, stmt, offset, limit)
        return await self._call(work)

    async def list_tenant_voicemails(self, tenant: str, *, queue_ids: frozenset[int] | None,
                                     listened: bool | None, offset: int,
                                     limit: int) -> EntryPage[VoicemailEntry]:
        """See :meth:`RecordingStore.list_tenant_voicemails`."""
        check_page(limit, offset)

        def work(s: Session) -> EntryPage[VoicemailEntry]:
            stmt = select(Voicemail).where(Voicemail.tenant == tenant)
            if queue_ids is not None:
                stmt = stmt.where(Voicemail.queue_id.in_(sorted(queue_ids)))
            if listened is not None:
                stmt = stmt.where(Voicemail.listened == listened)
            return _voicemail_page(s, stmt, offset, limit)
        return await self._call(work)

    async def served_queues(self, tenant: str, *, agent_id: int | None = None,
                            team_id: int | None = None) -> frozenset[int]:
        """See :meth:`RecordingStore.served_queues`."""
        def work(s: Session) -> frozenset[int]:
            stmt = (select(QueueMember.queue_id).join(Agent, Agent.id == QueueMember.agent_id)
                    .where(QueueMember.tenant == tenant))
            if agent_id is not None:
                stmt = stmt.where(QueueMember.agent_id == agent_id)
            if team_id is not None:
                stmt = stmt.where(Agent.team_id == team_id)
            return frozenset(s.scalars(stmt))
        return await self._call(work)

    async def voicemail(self, voicemail_id: int) -> VoicemailEntry | None:
        """See :meth:`RecordingStore.voicemail`."""
        def work(s: Session) -> VoicemailEntry | None:
            row = s.get(Voicemail, voicemail_id)
            return None if row is None else _voicemail(row)
        return await self._call(work)

    async def mark_listened(self, voicemail_id: int, listened: bool) -> None:
        """See :meth:`RecordingStore.mark_listened`."""
        def work(s: Session) -> None:
            done = s.execute(update(Voicemail).where(Voicemail.id == voicemail_id)
                             .values(listened=listened))
            if getattr(done, "rowcount", 1) == 0:
                raise NotFound("voicemails", voicemail_id)
        await self._call(work)
