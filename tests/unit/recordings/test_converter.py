"""The converter over a recording directory laid out as RTPengine lays it out."""

from __future__ import annotations

import wave
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from control_plane.recordings.converter import (
    CallRecording,
    RecordingConverter,
    VoicemailMessage,
    safe_name,
    target_path,
)
from control_plane.recordings.errors import (
    DirectionUnknown,
    NoAudio,
    RecordingError,
    RecordingExists,
    RecordingNotFound,
    TruncatedCapture,
    UnsupportedCodec,
)
from control_plane.recordings.g711 import samples_of
from control_plane.recordings.index import NewRecording, NewVoicemail
from control_plane.recordings.spool import escaped_call_id, find_recordings, recording_metadata
from tests.unit.recordings.captures import (
    AGENT_PORT,
    CALLER_PORT,
    call_capture,
    rtp,
    tone_stream,
    zero_crossings_hz,
)

START = 1_800_000_000.0  # 2027-01-15T08:00:00Z
CALL_ID = "a84b4c76e66710@pc33.atlanta.example.com"


class MemoryIndex:
    """The index as a list (the SQL adapter has its own tests against real databases)."""

    def __init__(self, *, fail: bool = False) -> None:
        self.rows: list[NewRecording | NewVoicemail] = []
        self.fail = fail

    async def add_recording(self, entry: NewRecording) -> int:
        if self.fail:
            raise RuntimeError("database down")
        self.rows.append(entry)
        return len(self.rows)

    async def add_voicemail(self, entry: NewVoicemail) -> int:
        if self.fail:
            raise RuntimeError("database down")
        self.rows.append(entry)
        return len(self.rows)


def spool(root: Path, call_id: str, capture: bytes, *, caller_port: int | None = CALLER_PORT,
          tag: str = "51767e275a6dc0c9") -> Path:
    """Write a finished RTPengine recording of ``call_id``; returns the spool dir."""
    for sub in ("pcaps", "metadata", "tmp"):
        (root / sub).mkdir(parents=True, exist_ok=True)
    prefix = f"{escaped_call_id(call_id)}-{tag}"
    pcap = root / "pcaps" / f"{prefix}.pcap"
    pcap.write_bytes(capture)
    extra = "" if caller_port is None else f"\n\n{recording_metadata(caller_port=caller_port)}\n"
    (root / "metadata" / f"rtpengine-meta-{prefix}.txt").write_text(
        f"{pcap}\n\n\nTimestamp terminated ms(first monologue): 0.000\n\n"
        f"call start time: 2027-01-15T08:00:00\ncall end time: 2027-01-15T08:00:02\n{extra}")
    return root


def converter(tmp_path: Path, index: MemoryIndex, **options: object) -> RecordingConverter:
    return RecordingConverter(spool_dir=tmp_path / "spool", recordings_root=tmp_path / "rec",
                              voicemail_root=tmp_path / "vm", index=index, wait_seconds=0.2,
                              **options)  # type: ignore[arg-type]


def _channels(path: Path) -> tuple[int, int, list[int], list[int]]:
    with wave.open(str(path)) as wav:
        rate, channels = wav.getframerate(), wav.getnchannels()
        samples = samples_of(wav.readframes(wav.getnframes()))
    return rate, channels, samples[0::channels], samples[1::channels]


def _files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


async def test_call_becomes_a_stereo_wav_caller_left_agent_right(tmp_path: Path) -> None:
    capture = call_capture(caller=tone_stream(440, 100, ssrc=1),
                           agent=tone_stream(1000, 50, ssrc=2), start=START, agent_delay=0.5)
    spool(tmp_path / "spool", CALL_ID, capture)
    index = MemoryIndex()
    done = await converter(tmp_path, index).convert_call(
        CallRecording(call_id=CALL_ID, tenant="acme", queue_id=3, agent_id=7))
    expected = tmp_path / "rec/acme/2027/01/15" / f"{safe_name(CALL_ID)}.wav"
    assert done.path == expected and _files(tmp_path / "rec") == [expected]
    rate, channels, left, right = _channels(expected)
    assert (rate, channels, len(left)) == (8000, 2, 16000)
    assert zero_crossings_hz(left) == pytest.approx(440, rel=0.02)
    assert all(s == 0 for s in right[:4000])  # the agent starts 0.5 s later
    assert zero_crossings_hz(right[4000:12000]) == pytest.approx(1000, rel=0.02)
    assert all(s == 0 for s in right[12000:])
    [row] = index.rows
    assert isinstance(row, NewRecording)
    assert (row.tenant, row.call_id, row.queue_id, row.agent_id) == ("acme", CALL_ID, 3, 7)
    assert row.started_at == datetime.fromtimestamp(START, UTC)
    assert row.ended_at == row.started_at + timedelta(seconds=2)
    assert (row.duration_seconds, row.size_bytes) == (2.0, expected.stat().st_size)
    assert (done.caller_packets, done.agent_packets) == (100, 50)
    assert _files(tmp_path / "spool") == []  # RTPengine's files are gone once indexed


async def test_caller_port_argument_overrides_the_metadata(tmp_path: Path) -> None:
    capture = call_capture(caller=tone_stream(440, 10, ssrc=1),
                           agent=tone_stream(1000, 10, ssrc=2), start=START)
    spool(tmp_path / "spool", CALL_ID, capture, caller_port=None)
    with pytest.raises(DirectionUnknown):
        await converter(tmp_path, MemoryIndex()).convert_call(
            CallRecording(call_id=CALL_ID, tenant="acme"))
    done = await converter(tmp_path, MemoryIndex()).convert_call(
        CallRecording(call_id=CALL_ID, tenant="acme", caller_port=AGENT_PORT))
    _, _, left, right = _channels(done.path)
    assert zero_crossings_hz(left) == pytest.approx(1000, rel=0.03)  # swapped on purpose
    assert zero_crossings_hz(right) == pytest.approx(440, rel=0.03)


async def test_bad_inputs_leave_nothing_behind(tmp_path: Path) -> None:
    good = call_capture(caller=tone_stream(440, 10, ssrc=1), agent=[], start=START)
    g722 = call_capture(caller=[rtp(seq=1, ts=0, ssrc=1, payload=bytes(160), pt=9)],
                        agent=[], start=START)
    events_only = call_capture(caller=[rtp(seq=1, ts=0, ssrc=1, payload=bytes(4), pt=101)],
                               agent=[], start=START)
    cases: list[tuple[bytes, type[RecordingError], int | None]] = [
        (good[:-7], TruncatedCapture, len(good) - 16 - 200),
        (g722, UnsupportedCodec, 24),
        (good[:24], NoAudio, None),
        (events_only, NoAudio, None),
    ]
    for number, (capture, error, offset) in enumerate(cases):
        call_id = f"bad-{number}"
        spool(tmp_path / "spool", call_id, capture)
        index = MemoryIndex()
        with pytest.raises(error) as caught:
            await converter(tmp_path, index).convert_call(
                CallRecording(call_id=call_id, tenant="acme"))
        assert caught.value.path == tmp_path / "spool/pcaps" / f"{call_id}-51767e275a6dc0c9.pcap"
        assert caught.value.offset == offset
        assert index.rows == [] and _files(tmp_path / "rec") == []
        assert find_recordings(tmp_path / "spool", call_id)  # kept for a retry


async def test_index_failure_removes_the_wav(tmp_path: Path) -> None:
    spool(tmp_path / "spool", CALL_ID, call_capture(caller=tone_stream(440, 5, ssrc=1),
                                                    agent=[], start=START))
    with pytest.raises(RuntimeError, match="database down"):
        await converter(tmp_path, MemoryIndex(fail=True)).convert_call(
            CallRecording(call_id=CALL_ID, tenant="acme"))
    assert _files(tmp_path / "rec") == []
    assert find_recordings(tmp_path / "spool", CALL_ID)


async def test_a_second_conversion_does_not_overwrite(tmp_path: Path) -> None:
    capture = call_capture(caller=tone_stream(440, 5, ssrc=1), agent=[], start=START)
    spool(tmp_path / "spool", CALL_ID, capture)
    first = await converter(tmp_path, MemoryIndex(), remove_sources=False).convert_call(
        CallRecording(call_id=CALL_ID, tenant="acme"))
    before = first.path.read_bytes()
    with pytest.raises(RecordingExists):
        await converter(tmp_path, MemoryIndex()).convert_call(
            CallRecording(call_id=CALL_ID, tenant="acme"))
    assert first.path.read_bytes() == before
    assert [p.name for p in _files(tmp_path / "rec")] == [first.path.name]  # no temp file


async def test_missing_recording_is_reported_after_the_wait(tmp_path: Path) -> None:
    spool(tmp_path / "spool", CALL_ID + "x", b"")  # another call whose id starts like ours
    with pytest.raises(RecordingNotFound, match=r"after 0\.2 s") as caught:
        await converter(tmp_path, MemoryIndex()).convert_call(
            CallRecording(call_id=CALL_ID, tenant="acme"))
    assert caught.value.error_id == "recording.not_found"


async def test_voicemail_is_the_callers_audio_between_two_instants(tmp_path: Path) -> None:
    # The far side is the placeholder (port 9): only the caller sends. Three seconds of
    # tone with an RFC 4733 '#' at the end; the message is from 0.5 s to 2.5 s.
    caller = tone_stream(600, 150, ssrc=1)
    caller.append(rtp(seq=250, ts=16_000 + 150 * 160, ssrc=1, payload=b"\x0b\x8a\x00\xa0",
                      pt=101))
    spool(tmp_path / "spool", CALL_ID, call_capture(caller=caller, agent=[], start=START),
          caller_port=None)
    index = MemoryIndex()
    start = datetime.fromtimestamp(START + 0.5, UTC)
    done = await converter(tmp_path, index).convert_voicemail(VoicemailMessage(
        call_id=CALL_ID, tenant="acme", queue_id=4, caller_number="+14155550100",
        start=start, end=start + timedelta(seconds=2)))
    with wave.open(str(done.path)) as wav:
        assert (wav.getnchannels(), wav.getframerate(), wav.getnframes()) == (1, 8000, 16000)
        samples = samples_of(wav.readframes(16000))
    assert zero_crossings_hz(samples) == pytest.approx(600, rel=0.02)
    assert done.path.parent == tmp_path / "vm/acme/2027/01/15"
    [row] = index.rows
    assert isinstance(row, NewVoicemail)
    assert (row.queue_id, row.caller_number, row.received_at, row.duration_seconds) == (
        4, "+14155550100", start, 2.0)


async def test_voicemail_window_without_caller_audio(tmp_path: Path) -> None:
    spool(tmp_path / "spool", CALL_ID, call_capture(caller=tone_stream(600, 10, ssrc=1),
                                                    agent=[], start=START))
    later = datetime.fromtimestamp(START + 60, UTC)
    with pytest.raises(NoAudio, match="no caller audio between"):
        await converter(tmp_path, MemoryIndex()).convert_voicemail(VoicemailMessage(
            call_id=CALL_ID, tenant="acme", queue_id=None, caller_number="+1",
            start=later, end=later + timedelta(seconds=5)))
    assert _files(tmp_path / "vm") == []


def test_paths_are_one_component_per_name() -> None:
    when = datetime(2027, 1, 15, 23, 30, tzinfo=UTC) + timedelta(hours=1)  # next UTC day
    path = target_path(Path("/r"), "../etc", "a/b@c", when)
    assert path == Path("/r/%2E.%2Fetc/2027/01/16/a%2Fb%40c.wav")
    assert safe_name(".hidden") == "%2Ehidden"


async def test_conversion_in_a_worker_process_keeps_typed_errors(tmp_path: Path) -> None:
    good = call_capture(caller=tone_stream(440, 10, ssrc=1), agent=[], start=START)
    spool(tmp_path / "spool", "ok", good)
    spool(tmp_path / "spool", "cut", good[:-7])
    with ProcessPoolExecutor(max_workers=1) as pool:
        work = converter(tmp_path, MemoryIndex(), executor=pool)
        done = await work.convert_call(CallRecording(call_id="ok", tenant="acme"))
        with pytest.raises(TruncatedCapture) as caught:
            await work.convert_call(CallRecording(call_id="cut", tenant="acme"))
    assert done.duration_seconds == pytest.approx(0.2)
    assert caught.value.offset == len(good) - 16 - 200
    assert caught.value.path == tmp_path / "spool/pcaps/cut-51767e275a6dc0c9.pcap"


async def test_agents_in_turn_share_the_right_channel(tmp_path: Path) -> None:
    # A transfer: the first agent's stream (SSRC 2) stops, the second's (SSRC 3, its own
    # sequence and timestamps) arrives on the same far-side port one second later.
    first = tone_stream(1000, 25, ssrc=2)
    second = tone_stream(700, 25, ssrc=3, seq=60000, ts=4_000_000_000)
    capture = call_capture(caller=tone_stream(440, 100, ssrc=1), agent=first, start=START)
    later = call_capture(caller=[], agent=second, start=START + 1.0)
    spool(tmp_path / "spool", CALL_ID, capture + later[24:])  # one file, two runs of records
    done = await converter(tmp_path, MemoryIndex()).convert_call(
        CallRecording(call_id=CALL_ID, tenant="acme"))
    _, _, left, right = _channels(done.path)
    assert zero_crossings_hz(left) == pytest.approx(440, rel=0.02)
    assert zero_crossings_hz(right[:4000]) == pytest.approx(1000, rel=0.02)
    assert set(right[4000:8000]) == {0}
    assert zero_crossings_hz(right[8000:12000]) == pytest.approx(700, rel=0.02)
    assert done.agent_packets == 50


async def test_metadata_alone_is_enough_and_arguments_win(tmp_path: Path) -> None:
    spool(tmp_path / "spool", CALL_ID, call_capture(caller=tone_stream(440, 5, ssrc=1),
                                                    agent=[], start=START), caller_port=None)
    meta = next((tmp_path / "spool/metadata").iterdir())
    meta.write_text(meta.read_text() + recording_metadata(
        caller_port=CALLER_PORT, tenant="acme", queue_id=3, agent_id=7) + "\n")
    index = MemoryIndex()
    await converter(tmp_path, index, remove_sources=False).convert_call(
        CallRecording(call_id=CALL_ID, agent_id=8))
    [row] = index.rows
    assert isinstance(row, NewRecording)
    assert (row.tenant, row.queue_id, row.agent_id) == ("acme", 3, 8)


def test_metadata_lines_refuse_what_would_break_them() -> None:
    assert recording_metadata(caller_port=30000, tenant="acme", agent_id=4) == (
        "cc-caller-port=30000\ncc-tenant=acme\ncc-agent-id=4")
    with pytest.raises(ValueError, match="cannot go in recording metadata"):
        recording_metadata(caller_port=1, tenant="acme\ncc-tenant=evil")


async def test_voicemail_trailing_silence_is_cut(tmp_path: Path) -> None:
    # One second of speech (a tone), then three of a caller who said nothing more.
    speech = tone_stream(500, 50, ssrc=1)
    quiet = [rtp(seq=150 + i, ts=16_000 + 160 * (50 + i), ssrc=1, payload=b"\xff" * 160)
             for i in range(150)]
    start = datetime.fromtimestamp(START, UTC)
    for keep, frames in ((1.0, 16000), (0.25, 10000), (None, 32000)):
        call_id = f"quiet-{keep}"
        spool(tmp_path / "spool", call_id, call_capture(caller=speech + quiet, agent=[],
                                                        start=START))
        done = await converter(tmp_path, MemoryIndex()).convert_voicemail(VoicemailMessage(
            call_id=call_id, tenant="acme", queue_id=None, caller_number="+1", start=start,
            end=start + timedelta(seconds=4), keep_silence=keep))
        with wave.open(str(done.path)) as wav:
            assert wav.getnframes() == frames, keep
        assert done.duration_seconds == frames / 8000
