"""The recordings index on SQLite and a real PostgreSQL: writes, tenant checks, filters."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from control_plane.db.errors import Conflict, NotFound, ValidationFailed
from control_plane.recordings.index import (
    NewRecording,
    NewVoicemail,
    RecordingFilter,
)
from tests.integration.recordings.conftest import Cast

T0 = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)


def _recording(cast: Cast, name: str, *, agent: str | None, hours: int = 0,
               tenant: str = "acme", queue: str | None = "sales") -> NewRecording:
    start = T0 + timedelta(hours=hours)
    return NewRecording(
        tenant=tenant, call_id=f"call-{name}", queue_id=cast.ids[queue] if queue else None,
        agent_id=cast.ids[agent] if agent else None, started_at=start,
        ended_at=start + timedelta(seconds=90), file_path=Path(f"/rec/{name}.wav"),
        duration_seconds=90.0, size_bytes=1_440_044)


async def test_recordings_round_trip_and_filters(cast: Cast) -> None:
    store = cast.store
    ann = await store.add_recording(_recording(cast, "ann", agent="ann"))
    al = await store.add_recording(_recording(cast, "al", agent="al", hours=1))
    nobody = await store.add_recording(_recording(cast, "nobody", agent=None, hours=2,
                                                  queue=None))
    await store.add_recording(_recording(cast, "gus", agent="gus", tenant="globex",
                                         queue="support"))
    entry = await store.recording(ann)
    assert entry is not None
    assert (entry.tenant, entry.call_id, entry.agent_id, entry.team_id) == (
        "acme", "call-ann", cast.ids["ann"], cast.ids["red"])
    assert entry.started_at == T0 and entry.ended_at == T0 + timedelta(seconds=90)
    assert entry.file_path == Path("/rec/ann.wav") and entry.size_bytes == 1_440_044
    assert await store.recording(999_999) is None

    async def ids(**where: object) -> list[int]:
        page = await store.list_recordings(RecordingFilter(tenant="acme", **where),  # type: ignore[arg-type]
                                           offset=0, limit=50)
        assert page.total == len(page.items)
        return [e.id for e in page.items]

    assert await ids() == [nobody, al, ann]
    assert await ids(team_id=cast.ids["red"]) == [ann]
    assert await ids(agent_id=cast.ids["al"]) == [al]
    assert await ids(queue_id=cast.ids["sales"]) == [al, ann]
    assert await ids(call_id="call-nobody") == [nobody]
    assert await ids(since=T0 + timedelta(minutes=1)) == [nobody, al]
    assert await ids(until=T0 + timedelta(hours=1)) == [ann]
    page = await store.list_recordings(RecordingFilter(tenant="acme"), offset=2, limit=1)
    assert ([e.id for e in page.items], page.total) == ([ann], 3)
    with pytest.raises(ValidationFailed) as caught:
        await store.list_recordings(RecordingFilter(tenant="acme"), offset=0, limit=0)
    assert caught.value.field == "limit"


async def test_writes_refuse_other_tenants_ids_and_duplicates(cast: Cast) -> None:
    store = cast.store
    with pytest.raises(ValidationFailed) as caught:
        await store.add_recording(_recording(cast, "x", agent=None, queue="support"))
    assert caught.value.field == "queue_id"
    with pytest.raises(ValidationFailed) as caught:
        await store.add_recording(_recording(cast, "x", agent="gus"))
    assert caught.value.field == "agent_id"
    await store.add_recording(_recording(cast, "twice", agent="ann"))
    with pytest.raises(Conflict):
        await store.add_recording(_recording(cast, "twice", agent="ann"))
    with pytest.raises(ValidationFailed):  # the database's own CHECK: ended before started
        await store.add_recording(NewRecording(
            tenant="acme", call_id="c", queue_id=None, agent_id=None, started_at=T0,
            ended_at=T0 - timedelta(seconds=1), file_path=Path("/rec/backwards.wav"),
            duration_seconds=1.0, size_bytes=1))


async def test_voicemails_queue_reach_and_listened(cast: Cast) -> None:
    store = cast.store
    sales = cast.ids["sales"]
    ids = [await store.add_voicemail(NewVoicemail(
        tenant="acme", queue_id=sales, caller_number=f"+1415555010{i}",
        received_at=T0 + timedelta(minutes=i), file_path=Path(f"/vm/{i}.wav"),
        duration_seconds=3.5)) for i in range(3)]
    with pytest.raises(ValidationFailed):
        await store.add_voicemail(NewVoicemail(
            tenant="acme", queue_id=cast.ids["support"], caller_number="+1",
            received_at=T0, file_path=Path("/vm/x.wav"), duration_seconds=1.0))
    page = await store.list_voicemails(sales, listened=None, offset=0, limit=10)
    assert [v.id for v in page.items] == ids[::-1] and page.total == 3
    await store.mark_listened(ids[1], True)
    entry = await store.voicemail(ids[1])
    assert entry is not None and entry.listened and entry.caller_number == "+14155550101"
    assert entry.received_at == T0 + timedelta(minutes=1)
    unheard = await store.list_voicemails(sales, listened=False, offset=0, limit=10)
    assert [v.id for v in unheard.items] == [ids[2], ids[0]]
    with pytest.raises(NotFound):
        await store.mark_listened(999_999, True)
    reach = await store.queue_reach(sales)
    assert reach is not None and reach.tenant == "acme"
    assert reach.agent_ids == {cast.ids["ann"], cast.ids["al"]}
    assert reach.team_ids == {cast.ids["red"], cast.ids["blue"]}
    empty = await store.queue_reach(cast.ids["empty"])
    assert empty is not None and empty.agent_ids == frozenset()
    assert await store.queue_reach(999_999) is None


async def test_tenant_voicemails_and_served_queues(cast: Cast) -> None:
    store = cast.store
    made = {}
    for minute, (tenant, queue) in enumerate((("acme", "sales"), ("acme", None),
                                              ("acme", "empty"), ("globex", "support"))):
        made[f"{tenant}-{queue}"] = await store.add_voicemail(NewVoicemail(
            tenant=tenant, queue_id=cast.ids[queue] if queue else None, caller_number="+1",
            received_at=T0 + timedelta(minutes=minute), file_path=Path(f"/vm/t{minute}.wav"),
            duration_seconds=1.0))

    async def ids(queues: frozenset[int] | None, listened: bool | None = None) -> list[int]:
        page = await store.list_tenant_voicemails("acme", queue_ids=queues, listened=listened,
                                                  offset=0, limit=10)
        return [v.id for v in page.items]

    assert await ids(None) == [made["acme-empty"], made["acme-None"], made["acme-sales"]]
    assert await ids(frozenset({cast.ids["sales"]})) == [made["acme-sales"]]
    assert await ids(frozenset()) == []
    assert await ids(frozenset({cast.ids["support"]})) == []  # another tenant's queue
    await store.mark_listened(made["acme-None"], True)
    assert await ids(None, listened=True) == [made["acme-None"]]
    sales = cast.ids["sales"]
    assert await store.served_queues("acme", agent_id=cast.ids["ann"]) == {sales}
    assert await store.served_queues("acme", team_id=cast.ids["blue"]) == {sales}
    assert await store.served_queues("acme", agent_id=cast.ids["gus"]) == frozenset()
    assert await store.served_queues("globex") == {cast.ids["support"]}
