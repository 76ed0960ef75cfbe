"""Call recordings and voicemails: list, download (streamed, with Range), mark listened.

Every route needs ``recordings.read`` (analysts lack it: no audio for no-PII roles). On top,
per object: an agent reaches only recordings of their own calls and voicemails of queues
they serve; a team lead their team's calls and queues their team serves; supervisors and
admins their tenant; the operator every tenant. Another tenant's objects do not exist.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path

from aiohttp import web
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from control_plane.api.errors import PermissionDenied, ResourceNotFound
from control_plane.api.routes import RouteTable, body, principal, query, reply
from control_plane.auth.permissions import Role
from control_plane.auth.principal import Principal, pii, require_scope, require_tenant
from control_plane.recordings.index import (
    QueueReach,
    RecordingEntry,
    RecordingFilter,
    RecordingStore,
    VoicemailEntry,
)

ROUTES = RouteTable()
RECORDINGS: web.AppKey[RecordingStore] = web.AppKey("recordings")
PERMISSION = "recordings.read"
MAX_PAGE = 200
_TAGS = ("recordings",)


class RecordingView(BaseModel):
    """An indexed call recording (the audio is at ``/api/v1/recordings/{id}/audio``)."""

    id: int
    tenant: str
    call_id: str
    queue_id: int | None
    agent_id: int | None
    started_at: datetime
    ended_at: datetime | None
    duration_seconds: float
    size_bytes: int

    @classmethod
    def of(cls, entry: RecordingEntry) -> RecordingView:
        """The view of an index entry (never the server's file path)."""
        return cls(id=entry.id, tenant=entry.tenant, call_id=entry.call_id,
                   queue_id=entry.queue_id, agent_id=entry.agent_id,
                   started_at=entry.started_at, ended_at=entry.ended_at,
                   duration_seconds=entry.duration_seconds, size_bytes=entry.size_bytes)


class RecordingPage(BaseModel):
    """One page of recordings, newest first."""

    items: list[RecordingView]
    offset: int
    limit: int
    total: int


class RecordingQuery(BaseModel):
    """Filters and paging; ``tenant`` is the operator's only."""

    model_config = ConfigDict(extra="forbid")

    tenant: str | None = Field(default=None, max_length=64)
    call_id: str | None = Field(default=None, min_length=1, max_length=255)
    queue_id: int | None = Field(default=None, ge=1)
    agent_id: int | None = Field(default=None, ge=1)
    since: AwareDatetime | None = Field(default=None, description="started at or after")
    until: AwareDatetime | None = Field(default=None, description="started before")
    offset: int = Field(default=0, ge=0)
    limit: int = Field(default=50, ge=1, le=MAX_PAGE)


class VoicemailView(BaseModel):
    """A voicemail message (audio at ``/api/v1/voicemails/{id}/audio``)."""

    id: int
    queue_id: int | None
    caller_number: str | None
    received_at: datetime
    duration_seconds: float
    listened: bool

    @classmethod
    def of(cls, entry: VoicemailEntry, who: Principal) -> VoicemailView:
        """The view of an index entry as ``who`` may see it."""
        return cls(id=entry.id, queue_id=entry.queue_id,
                   caller_number=pii(who, entry.caller_number), received_at=entry.received_at,
                   duration_seconds=entry.duration_seconds, listened=entry.listened)


class VoicemailPage(BaseModel):
    """One page of a queue's voicemails, newest first."""

    items: list[VoicemailView]
    offset: int
    limit: int
    total: int


class VoicemailQuery(BaseModel):
    """Paging, and optionally only (un)listened messages."""

    model_config = ConfigDict(extra="forbid")

    listened: bool | None = None
    offset: int = Field(default=0, ge=0)
    limit: int = Field(default=50, ge=1, le=MAX_PAGE)


class TenantVoicemailQuery(VoicemailQuery):
    """Paging, (un)listened, one queue; ``tenant`` is the operator's only."""

    tenant: str | None = Field(default=None, max_length=64)
    queue_id: int | None = Field(default=None, ge=1)


class MarkListened(BaseModel):
    """Mark a voicemail listened (or back to new)."""

    model_config = ConfigDict(extra="forbid")

    listened: bool = True


def _store(request: web.Request) -> RecordingStore:
    return request.app[RECORDINGS]


def _id(request: web.Request, name: str) -> int:
    return int(request.match_info[name])


def _tenant(who: Principal, asked: str | None) -> str:
    """The tenant a listing covers: the user's own; the operator names one."""
    if asked is not None and not who.is_operator:
        raise PermissionDenied("only the operator may list another tenant",
                               details={"field": "tenant"})
    tenant = asked if who.is_operator else who.tenant
    if tenant is None:
        raise PermissionDenied("name the tenant to list", details={"field": "tenant"})
    return tenant


def _reach_filter(who: Principal, q: RecordingQuery) -> RecordingFilter | None:
    """The filter within the user's reach; None when they can reach nothing."""
    tenant = _tenant(who, q.tenant)
    agent_id, team_id = q.agent_id, None
    if who.role is Role.AGENT:
        if q.agent_id not in (None, who.agent_id):
            raise PermissionDenied("an agent may only list their own calls' recordings",
                                   details={"reason": "own_resources_only"})
        if who.agent_id is None:
            return None
        agent_id = who.agent_id
    elif who.role is Role.TEAM_LEAD:
        if who.team_id is None:
            return None
        team_id = who.team_id
    return RecordingFilter(tenant=tenant, call_id=q.call_id, queue_id=q.queue_id,
                           agent_id=agent_id, team_id=team_id, since=q.since, until=q.until)


async def _reachable_recording(request: web.Request) -> RecordingEntry:
    entry = await _store(request).recording(_id(request, "recording_id"))
    if entry is None:
        raise ResourceNotFound("no such recording")
    require_scope(principal(request), tenant=entry.tenant, agent_id=entry.agent_id,
                  team_id=entry.team_id)
    return entry


def _require_queue(who: Principal, reach: QueueReach | None) -> None:
    """Voicemails of a queue: its members (agents), teams serving it (team leads), the
    tenant's supervisors and admins."""
    if reach is None:
        raise ResourceNotFound("no such queue")
    require_tenant(who, reach.tenant)
    if who.role is Role.AGENT and who.agent_id not in reach.agent_ids:
        raise PermissionDenied("an agent hears only the voicemails of queues they serve",
                               details={"reason": "not_queue_member"})
    if who.role is Role.TEAM_LEAD and who.team_id not in reach.team_ids:
        raise PermissionDenied("a team lead hears only the voicemails of queues their team "
                               "serves", details={"reason": "own_team_only"})


async def _reachable_voicemail(request: web.Request) -> VoicemailEntry:
    who, store = principal(request), _store(request)
    entry = await store.voicemail(_id(request, "voicemail_id"))
    if entry is None:
        raise ResourceNotFound("no such voicemail")
    require_tenant(who, entry.tenant)
    if entry.queue_id is None:  # its queue was deleted: the tenant-wide roles keep it
        if who.role in (Role.AGENT, Role.TEAM_LEAD):
            raise PermissionDenied("this voicemail's queue is gone",
                                   details={"reason": "not_queue_member"})
        return entry
    _require_queue(who, await store.queue_reach(entry.queue_id))
    return entry


def _audio(path: Path) -> web.FileResponse:
    # FileResponse streams from disk and answers Range requests (206) by itself.
    if not path.is_file():
        raise ResourceNotFound("the audio file is missing", details={"reason": "file_missing"})
    return web.FileResponse(path, headers={"Content-Type": "audio/wav",
                                           "Cache-Control": "private, no-store"})


@ROUTES.get("/api/v1/recordings", permission=PERMISSION, summary="List call recordings",
            tags=_TAGS, query=RecordingQuery, response=RecordingPage)
async def list_recordings(request: web.Request) -> web.Response:
    """Recordings within the caller's reach, filtered, newest first, one page at a time."""
    who, q = principal(request), query(request, RecordingQuery)
    where = _reach_filter(who, q)
    if where is None:
        return reply(RecordingPage(items=[], offset=q.offset, limit=q.limit, total=0))
    page = await _store(request).list_recordings(where, offset=q.offset, limit=q.limit)
    return reply(RecordingPage(items=[RecordingView.of(e) for e in page.items],
                               offset=page.offset, limit=page.limit, total=page.total))


@ROUTES.get(r"/api/v1/recordings/{recording_id:\d+}", permission=PERMISSION,
            summary="Read a call recording's index entry", tags=_TAGS,
            response=RecordingView, errors=(ResourceNotFound,))
async def get_recording(request: web.Request) -> web.Response:
    """One recording; another tenant's do not exist for the caller."""
    return reply(RecordingView.of(await _reachable_recording(request)))


@ROUTES.get(r"/api/v1/recordings/{recording_id:\d+}/audio", permission=PERMISSION,
            summary="Download a call recording (stereo WAV: caller left, agent right)",
            tags=_TAGS, media_type="audio/wav", errors=(ResourceNotFound,))
async def recording_audio(request: web.Request) -> web.StreamResponse:
    """The WAV, streamed; ``Range`` requests get 206 with the asked bytes."""
    return _audio((await _reachable_recording(request)).file_path)


@ROUTES.get(r"/api/v1/queues/{queue_id:\d+}/voicemails", permission=PERMISSION,
            summary="List a queue's voicemails", tags=_TAGS, query=VoicemailQuery,
            response=VoicemailPage, errors=(ResourceNotFound,))
async def list_voicemails(request: web.Request) -> web.Response:
    """Messages left for the queue, newest first, for those who serve or supervise it."""
    who, q, store = principal(request), query(request, VoicemailQuery), _store(request)
    queue_id = _id(request, "queue_id")
    _require_queue(who, await store.queue_reach(queue_id))
    page = await store.list_voicemails(queue_id, listened=q.listened, offset=q.offset,
                                       limit=q.limit)
    return reply(VoicemailPage(items=[VoicemailView.of(e, who) for e in page.items],
                               offset=page.offset, limit=page.limit, total=page.total))


@ROUTES.get("/api/v1/voicemails", permission=PERMISSION, summary="List voicemails",
            tags=_TAGS, query=TenantVoicemailQuery, response=VoicemailPage)
async def list_tenant_voicemails(request: web.Request) -> web.Response:
    """The tenant's voicemails within the caller's reach, newest first: agents and team
    leads those of the queues they (their team) serve; supervisors and admins all, those
    left for no queue (or a deleted one) included."""
    who, q, store = principal(request), query(request, TenantVoicemailQuery), _store(request)
    tenant = _tenant(who, q.tenant)
    queues: frozenset[int] | None = None
    if who.role is Role.AGENT:
        queues = (await store.served_queues(tenant, agent_id=who.agent_id)
                  if who.agent_id is not None else frozenset())
    elif who.role is Role.TEAM_LEAD:
        queues = (await store.served_queues(tenant, team_id=who.team_id)
                  if who.team_id is not None else frozenset())
    if q.queue_id is not None:
        if queues is not None and q.queue_id not in queues:
            raise PermissionDenied("only the voicemails of queues you serve",
                                   details={"reason": "not_queue_member"})
        queues = frozenset({q.queue_id})
    page = await store.list_tenant_voicemails(tenant, queue_ids=queues, listened=q.listened,
                                              offset=q.offset, limit=q.limit)
    return reply(VoicemailPage(items=[VoicemailView.of(e, who) for e in page.items],
                               offset=page.offset, limit=page.limit, total=page.total))


@ROUTES.get(r"/api/v1/voicemails/{voicemail_id:\d+}", permission=PERMISSION,
            summary="Read a voicemail's index entry", tags=_TAGS, response=VoicemailView,
            errors=(ResourceNotFound,))
async def get_voicemail(request: web.Request) -> web.Response:
    """One voicemail; another tenant's do not exist for the caller."""
    return reply(VoicemailView.of(await _reachable_voicemail(request), principal(request)))


@ROUTES.get(r"/api/v1/voicemails/{voicemail_id:\d+}/audio", permission=PERMISSION,
            summary="Download a voicemail (mono WAV)", tags=_TAGS, media_type="audio/wav",
            errors=(ResourceNotFound,))
async def voicemail_audio(request: web.Request) -> web.StreamResponse:
    """The message's WAV, streamed, with ``Range`` support."""
    return _audio((await _reachable_voicemail(request)).file_path)


@ROUTES.post(r"/api/v1/voicemails/{voicemail_id:\d+}/listened", permission=PERMISSION,
             summary="Mark a voicemail listened", tags=_TAGS, body=MarkListened,
             response=VoicemailView, errors=(ResourceNotFound,))
async def mark_voicemail_listened(request: web.Request) -> web.Response:
    """Set (or clear) the listened flag of a message the caller may hear."""
    who, change = principal(request), body(request, MarkListened)
    entry = await _reachable_voicemail(request)
    await _store(request).mark_listened(entry.id, change.listened)
    updated = await _store(request).voicemail(entry.id)
    if updated is None:  # deleted in between
        raise ResourceNotFound("no such voicemail")
    return reply(VoicemailView.of(updated, who))


def install(app: web.Application, database_url: str) -> None:
    """Give ``app`` the SQL recordings store (unless one was set, as tests may)."""
    if RECORDINGS in app:
        return

    async def sql_store(app: web.Application) -> AsyncIterator[None]:
        from control_plane.db.engine import make_engine
        from control_plane.db.repos.recordings_repo import SqlRecordings

        engine = make_engine(database_url)
        app[RECORDINGS] = SqlRecordings(engine)
        yield
        engine.dispose()

    app.cleanup_ctx.append(sql_store)
