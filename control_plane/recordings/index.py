"""What the recordings index holds, and the interfaces its SQL adapter implements.

The converter writes through :class:`RecordingIndex`; the API reads through
:class:`RecordingStore`. Both are implemented by
``control_plane.db.repos.recordings_repo.SqlRecordings`` (the only module here that knows
SQL), each call one short transaction off the event loop.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Generic, Protocol, TypeVar

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class NewRecording:
    """A converted call recording to index."""

    tenant: str
    call_id: str
    queue_id: int | None
    agent_id: int | None
    started_at: datetime
    ended_at: datetime
    file_path: Path
    duration_seconds: float
    size_bytes: int


@dataclass(frozen=True, slots=True)
class NewVoicemail:
    """A converted voicemail message to index."""

    tenant: str
    queue_id: int | None
    caller_number: str
    received_at: datetime
    file_path: Path
    duration_seconds: float


@dataclass(frozen=True, slots=True)
class RecordingEntry:
    """An indexed recording, with the team of its agent (for a team lead's reach)."""

    id: int
    tenant: str
    call_id: str
    queue_id: int | None
    agent_id: int | None
    team_id: int | None
    started_at: datetime
    ended_at: datetime | None
    file_path: Path
    duration_seconds: float
    size_bytes: int


@dataclass(frozen=True, slots=True)
class VoicemailEntry:
    """An indexed voicemail message."""

    id: int
    tenant: str
    queue_id: int | None
    caller_number: str
    received_at: datetime
    file_path: Path
    duration_seconds: float
    listened: bool


@dataclass(frozen=True, slots=True)
class RecordingFilter:
    """Which recordings of one tenant to list; ``team_id`` keeps a team's agents' calls."""

    tenant: str
    call_id: str | None = None
    queue_id: int | None = None
    agent_id: int | None = None
    team_id: int | None = None
    since: datetime | None = None
    until: datetime | None = None


@dataclass(frozen=True, slots=True)
class QueueReach:
    """Who serves a queue: the agents that are its members, and their teams."""

    tenant: str
    agent_ids: frozenset[int]
    team_ids: frozenset[int]


@dataclass(frozen=True, slots=True)
class EntryPage(Generic[T]):
    """One page of entries and how many match in all."""

    items: list[T]
    offset: int
    limit: int
    total: int


class RecordingIndex(Protocol):
    """Where the converter indexes what it wrote."""

    async def add_recording(self, entry: NewRecording) -> int:
        """Index a recording; its id. A second row for the same file is a conflict."""
        ...

    async def add_voicemail(self, entry: NewVoicemail) -> int:
        """Index a voicemail; its id."""
        ...


class RecordingStore(RecordingIndex, Protocol):
    """The index as the API reads it (tenant checks are the caller's, by the entries)."""

    async def list_recordings(self, where: RecordingFilter, *, offset: int,
                              limit: int) -> EntryPage[RecordingEntry]:
        """Recordings matching ``where``, newest first."""
        ...

    async def recording(self, recording_id: int) -> RecordingEntry | None:
        """One recording by id, whatever its tenant (None: no such id)."""
        ...

    async def queue_reach(self, queue_id: int) -> QueueReach | None:
        """The queue's tenant and who serves it (None: no such queue)."""
        ...

    async def list_voicemails(self, queue_id: int, *, listened: bool | None, offset: int,
                              limit: int) -> EntryPage[VoicemailEntry]:
        """Voicemails left for ``queue_id``, newest first."""
        ...

    async def list_tenant_voicemails(self, tenant: str, *, queue_ids: frozenset[int] | None,
                                     listened: bool | None, offset: int,
                                     limit: int) -> EntryPage[VoicemailEntry]:
        """A tenant's voicemails, newest first: of ``queue_ids`` only, or all (None: those
        whose queue is gone too)."""
        ...

    async def served_queues(self, tenant: str, *, agent_id: int | None = None,
                            team_id: int | None = None) -> frozenset[int]:
        """Queues of ``tenant`` the agent, or any agent of the team, is a member of."""
        ...

    async def voicemail(self, voicemail_id: int) -> VoicemailEntry | None:
        """One voicemail by id, whatever its tenant (None: no such id)."""
        ...

    async def mark_listened(self, voicemail_id: int, listened: bool) -> None:
        """Set a voicemail's listened flag."""
        ...
