"""``python -m control_plane.recordings wav``: a capture by hand, refusals by error id."""

from __future__ import annotations

import wave
from pathlib import Path

import pytest

from control_plane.recordings.__main__ import main
from tests.unit.recordings.captures import AGENT_PORT, call_capture, tone_stream
from tests.unit.recordings.test_converter import START, spool


def test_wav_of_a_capture_given_the_caller_port(tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    capture = tmp_path / "evidence.pcap"
    capture.write_bytes(call_capture(caller=tone_stream(440, 50, ssrc=1),
                                     agent=tone_stream(900, 25, ssrc=2), start=START))
    out = tmp_path / "out.wav"
    assert main(["wav", str(capture), str(out), "--caller-port", str(AGENT_PORT)]) == 0
    with wave.open(str(out)) as wav:
        assert (wav.getnchannels(), wav.getnframes()) == (2, 8000)
    assert "caller 25 packets, agent 50 packets" in capsys.readouterr().out
    assert main(["wav", str(capture), str(tmp_path / "again.wav")]) == 1  # whose is which?
    assert "recording.direction_unknown" in capsys.readouterr().err


def test_wav_reads_the_caller_port_from_rtpengine_metadata(tmp_path: Path) -> None:
    spool(tmp_path, "c1", call_capture(caller=tone_stream(440, 5, ssrc=1), agent=[],
                                       start=START))
    [capture] = (tmp_path / "pcaps").iterdir()
    assert main(["wav", str(capture), str(tmp_path / "out.wav")]) == 0


def test_refusals_name_the_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    capture = tmp_path / "cut.pcap"
    capture.write_bytes(call_capture(caller=tone_stream(440, 5, ssrc=1), agent=[],
                                     start=START)[:-5])
    assert main(["wav", str(capture), str(tmp_path / "o.wav"), "--caller-port", "1"]) == 1
    assert "recording.truncated" in capsys.readouterr().err
    assert not (tmp_path / "o.wav").exists()
    with pytest.raises(SystemExit) as caught:
        main(["wav", str(capture)])
    assert caught.value.code == 2
