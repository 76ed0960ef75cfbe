"""Recordings and voicemails through the real application on a migrated SQLite database.

The cast is the API tests' (acme: admin adam, supervisor sue, team lead lee of team red,
agents ann (red) and al (blue), analyst ana; globex: admin gina, agent gus; operator
root). Here: queue "sales" served by Ann, queue "back" served by Al, recordings of Ann's,
Al's and an unanswered call in acme and one in globex, and two voicemails for "sales".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from aiohttp import ClientResponse
from sqlalchemy.orm import Session

from control_plane.db.engine import make_engine
from control_plane.db.models import Queue, QueueMember
from control_plane.db.repos.recordings_repo import SqlRecordings
from control_plane.recordings.g711 import pcm16
from control_plane.recordings.index import NewRecording, NewVoicemail
from control_plane.recordings.wav import write_wav
from tests.integration.api.conftest import (  # noqa: F401  (fixtures)
    Center,
    CenterFactory,
    center_factory,
    template_db,
)

T0 = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)


@dataclass
class Media:
    """The started center and the ids of what was seeded."""

    center: Center
    recordings: dict[str, int]
    voicemails: dict[str, int]
    queues: dict[str, int]
    files: dict[str, Path]

    async def get(self, user: str, path: str, **headers: str) -> ClientResponse:
        token = await self.center.login(user)
        return await self.center.client.get(
            path, headers={"Authorization": f"Bearer {token}", **headers})

    async def post(self, user: str, path: str, body: object) -> ClientResponse:
        token = await self.center.login(user)
        return await self.center.client.post(
            path, json=body, headers={"Authorization": f"Bearer {token}"})


def _queues(url: str, agents: dict[str, int | None]) -> dict[str, int]:
    engine = make_engine(url)
    with Session(engine) as s, s.begin():
        sales, back = Queue(tenant="acme", name="sales"), Queue(tenant="acme", name="back")
        other = Queue(tenant="globex", name="support")
        s.add_all([sales, back, other])
        s.flush()
        s.add_all([QueueMember(tenant="acme", queue_id=sales.id, agent_id=agents["ann"]),
                   QueueMember(tenant="acme", queue_id=back.id, agent_id=agents["al"])])
        ids = {"sales": sales.id, "back": back.id, "support": other.id}
    engine.dispose()
    return ids


@pytest.fixture
async def media(center_factory: CenterFactory, tmp_path: Path) -> Media:  # noqa: F811
    center = await center_factory()
    agents = {name: center.users[name].agent_id for name in ("ann", "al", "gus")}
    queues = _queues(center.db_url, agents)
    engine = make_engine(center.db_url)
    store = SqlRecordings(engine)
    files: dict[str, Path] = {}
    recordings: dict[str, int] = {}
    plan = [("ann", "acme", "sales", agents["ann"], 0), ("al", "acme", "back", agents["al"], 1),
            ("unanswered", "acme", "sales", None, 2), ("gus", "globex", "support", None, 3)]
    for name, tenant, queue, agent, hour in plan:
        path = tmp_path / "rec" / f"{name}.wav"
        size = write_wav(path, pcm16([hour * 100 + 1] * 16000), channels=2)
        files[name] = path
        start = T0 + timedelta(hours=hour)
        recordings[name] = await store.add_recording(NewRecording(
            tenant=tenant, call_id=f"call-{name}", queue_id=queues[queue], agent_id=agent,
            started_at=start, ended_at=start + timedelta(seconds=1), file_path=path,
            duration_seconds=1.0, size_bytes=size))
    voicemails = {}
    for hour, name in enumerate(("first", "second", "noqueue")):
        path = tmp_path / "vm" / f"{name}.wav"
        write_wav(path, pcm16([7] * 8000), channels=1)
        files[f"vm-{name}"] = path
        voicemails[name] = await store.add_voicemail(NewVoicemail(
            tenant="acme", queue_id=None if name == "noqueue" else queues["sales"],
            caller_number=f"+1415555010{hour}", received_at=T0 + timedelta(hours=hour),
            file_path=path, duration_seconds=1.0))
    engine.dispose()
    return Media(center, recordings, voicemails, queues, files)


async def _ok(resp: ClientResponse) -> dict[str, object]:
    assert resp.status == 200, await resp.text()
    body: dict[str, object] = await resp.json()
    return body


async def _error(resp: ClientResponse, status: int, error_id: str) -> dict[str, object]:
    body = await resp.json()
    assert (resp.status, body["error"]["id"]) == (status, error_id), body
    details: dict[str, object] = body["error"]["details"]
    return details


def _calls(page: dict[str, object]) -> list[str]:
    items = page["items"]
    assert isinstance(items, list)
    return [item["call_id"] for item in items]


async def test_reach_of_each_role_in_listings(media: Media) -> None:
    everything = ["call-unanswered", "call-al", "call-ann"]  # newest first
    for user in ("sue", "adam"):
        assert _calls(await _ok(await media.get(user, "/api/v1/recordings"))) == everything
    assert _calls(await _ok(await media.get("ann", "/api/v1/recordings"))) == ["call-ann"]
    assert _calls(await _ok(await media.get("al", "/api/v1/recordings"))) == ["call-al"]
    assert _calls(await _ok(await media.get("lee", "/api/v1/recordings"))) == ["call-ann"]
    assert _calls(await _ok(await media.get("gina", "/api/v1/recordings"))) == ["call-gus"]
    root = await _ok(await media.get("root", "/api/v1/recordings?tenant=acme"))
    assert _calls(root) == everything
    details = await _error(await media.get("ann", f"/api/v1/recordings?agent_id="
                                                  f"{media.center.users['al'].agent_id}"),
                           403, "permission.denied")
    assert details == {"reason": "own_resources_only"}
    await _error(await media.get("sue", "/api/v1/recordings?tenant=globex"), 403,
                 "permission.denied")


async def test_analysts_get_no_audio_at_all(media: Media) -> None:
    recording = media.recordings["ann"]
    for path in ("/api/v1/recordings", f"/api/v1/recordings/{recording}",
                 f"/api/v1/recordings/{recording}/audio",
                 f"/api/v1/queues/{media.queues['sales']}/voicemails",
                 f"/api/v1/voicemails/{media.voicemails['first']}/audio",
                 "/api/v1/voicemails"):
        details = await _error(await media.get("ana", path), 403, "permission.denied")
        assert details == {"permission": "recordings.read", "role": "analyst"}


async def test_filters_and_pages(media: Media) -> None:
    sales = media.queues["sales"]
    page = await _ok(await media.get("sue", f"/api/v1/recordings?queue_id={sales}"))
    assert _calls(page) == ["call-unanswered", "call-ann"] and page["total"] == 2
    page = await _ok(await media.get("sue", "/api/v1/recordings?call_id=call-al"))
    assert _calls(page) == ["call-al"]
    since = (T0 + timedelta(minutes=30)).isoformat().replace("+00:00", "Z")
    until = (T0 + timedelta(hours=1, minutes=30)).isoformat().replace("+00:00", "Z")
    page = await _ok(await media.get("sue", f"/api/v1/recordings?since={since}&until={until}"))
    assert _calls(page) == ["call-al"]
    page = await _ok(await media.get("sue", "/api/v1/recordings?limit=2&offset=1"))
    assert (_calls(page), page["total"], page["offset"], page["limit"]) == (
        ["call-al", "call-ann"], 3, 1, 2)
    details = await _error(await media.get("sue", "/api/v1/recordings?limit=0"), 400,
                           "request.invalid_query")
    assert details["field"] == "limit"
    details = await _error(await media.get("sue", "/api/v1/recordings?since=2027-03-01T09:00"),
                           400, "request.invalid_query")
    assert details["field"] == "since"  # a time without its zone is a guess


async def test_object_checks_on_single_recordings(media: Media) -> None:
    ann, al, gus = (media.recordings[n] for n in ("ann", "al", "gus"))
    entry = await _ok(await media.get("ann", f"/api/v1/recordings/{ann}"))
    assert entry["call_id"] == "call-ann" and "file_path" not in entry
    details = await _error(await media.get("ann", f"/api/v1/recordings/{al}"), 403,
                           "permission.denied")
    assert details == {"reason": "own_resources_only"}
    details = await _error(await media.get("lee", f"/api/v1/recordings/{al}/audio"), 403,
                           "permission.denied")
    assert details == {"reason": "own_team_only"}
    for user in ("sue", "adam", "lee", "ann"):
        await _error(await media.get(user, f"/api/v1/recordings/{gus}"), 404,
                     "resource.not_found")
    await _error(await media.get("sue", "/api/v1/recordings/999999"), 404,
                 "resource.not_found")
    assert (await media.get("root", f"/api/v1/recordings/{gus}")).status == 200


async def test_download_is_the_file_with_range_support(media: Media) -> None:
    path = media.files["ann"]
    url = f"/api/v1/recordings/{media.recordings['ann']}/audio"
    whole = await media.get("ann", url)
    assert whole.status == 200 and whole.headers["Content-Type"] == "audio/wav"
    assert await whole.read() == path.read_bytes()
    part = await media.get("ann", url, Range="bytes=0-43")
    assert part.status == 206
    assert part.headers["Content-Range"] == f"bytes 0-43/{path.stat().st_size}"
    header = await part.read()
    assert header[:4] == b"RIFF" and header[8:12] == b"WAVE" and len(header) == 44
    tail = await media.get("ann", url, Range="bytes=-4")
    assert await tail.read() == path.read_bytes()[-4:]
    path.unlink()
    details = await _error(await media.get("ann", url), 404, "resource.not_found")
    assert details == {"reason": "file_missing"}


async def test_voicemails_of_a_queue(media: Media) -> None:
    sales = media.queues["sales"]
    url = f"/api/v1/queues/{sales}/voicemails"
    for user in ("ann", "lee", "sue", "adam"):
        page = await _ok(await media.get(user, url))
        items = page["items"]
        assert isinstance(items, list)
        assert [v["caller_number"] for v in items] == ["+14155550101", "+14155550100"]
        assert [v["listened"] for v in items] == [False, False]
    details = await _error(await media.get("al", url), 403, "permission.denied")
    assert details == {"reason": "not_queue_member"}
    await _error(await media.get("gina", url), 404, "resource.not_found")
    await _error(await media.get("sue", "/api/v1/queues/999999/voicemails"), 404,
                 "resource.not_found")
    empty = await _ok(await media.get("al", f"/api/v1/queues/{media.queues['back']}"
                                            "/voicemails"))
    assert empty["items"] == [] and empty["total"] == 0


async def test_voicemail_download_and_listened_flag(media: Media) -> None:
    first = media.voicemails["first"]
    audio = await media.get("ann", f"/api/v1/voicemails/{first}/audio")
    assert audio.status == 200 and await audio.read() == media.files["vm-first"].read_bytes()
    await _error(await media.get("al", f"/api/v1/voicemails/{first}/audio"), 403,
                 "permission.denied")
    await _error(await media.get("gina", f"/api/v1/voicemails/{first}/audio"), 404,
                 "resource.not_found")
    await _error(await media.post("al", f"/api/v1/voicemails/{first}/listened", {}), 403,
                 "permission.denied")
    marked = await _ok(await media.post("ann", f"/api/v1/voicemails/{first}/listened", {}))
    assert (marked["id"], marked["listened"]) == (first, True)
    url = f"/api/v1/queues/{media.queues['sales']}/voicemails"
    fresh = await _ok(await media.get("sue", f"{url}?listened=false"))
    items = fresh["items"]
    assert isinstance(items, list) and [v["id"] for v in items] == [media.voicemails["second"]]
    back = await _ok(await media.post("sue", f"/api/v1/voicemails/{first}/listened",
                                      {"listened": False}))
    assert back["listened"] is False
    details = await _error(await media.post("sue", f"/api/v1/voicemails/{first}/listened",
                                            {"listened": "maybe"}), 400,
                           "request.invalid_body")
    assert details["field"] == "listened"
    await _error(await media.post("sue", "/api/v1/voicemails/999999/listened", {}), 404,
                 "resource.not_found")


async def test_routes_are_documented(media: Media) -> None:
    spec = await _ok(await media.center.client.get("/openapi.json"))
    paths = spec["paths"]
    assert isinstance(paths, dict)
    audio = paths["/api/v1/recordings/{recording_id}/audio"]["get"]
    assert "audio/wav" in audio["responses"]["200"]["content"]
    assert "recordings.read" in audio["description"]


async def test_voicemails_across_the_tenant(media: Media) -> None:
    first, second, noqueue = (media.voicemails[n] for n in ("first", "second", "noqueue"))

    async def ids(user: str, query: str = "") -> list[int]:
        page = await _ok(await media.get(user, f"/api/v1/voicemails{query}"))
        items = page["items"]
        assert isinstance(items, list) and page["total"] == len(items)
        return [v["id"] for v in items]

    assert await ids("sue") == await ids("adam") == [noqueue, second, first]
    assert await ids("ann") == await ids("lee") == [second, first]  # Ann serves sales
    assert await ids("al") == []  # Al serves back, which has no messages
    assert await ids("gina") == []
    assert await ids("root", "?tenant=acme") == [noqueue, second, first]
    assert await ids("sue", f"?queue_id={media.queues['sales']}") == [second, first]
    details = await _error(await media.get("ann", f"/api/v1/voicemails?queue_id="
                                                  f"{media.queues['back']}"),
                           403, "permission.denied")
    assert details == {"reason": "not_queue_member"}
    await _error(await media.get("ann", "/api/v1/voicemails?tenant=globex"), 403,
                 "permission.denied")
    # A message for no queue is the supervisors' (and admins') to handle.
    entry = await _ok(await media.get("sue", f"/api/v1/voicemails/{noqueue}"))
    assert (entry["queue_id"], entry["caller_number"]) == (None, "+14155550102")
    details = await _error(await media.get("ann", f"/api/v1/voicemails/{noqueue}"), 403,
                           "permission.denied")
    assert details == {"reason": "not_queue_member"}
    await _error(await media.get("gina", f"/api/v1/voicemails/{noqueue}"), 404,
                 "resource.not_found")
