"""Prompts synthesised with the real espeak-ng and sox (Debian packages of .ci/apt-packages.txt)."""

from __future__ import annotations

import array
import os
import wave
from collections.abc import Iterator
from pathlib import Path

import pytest

from control_plane.ivr import prompts
from control_plane.ivr.prompts import (
    CATALOGUE,
    TONES,
    PromptError,
    PromptLibrary,
    build_prompts,
    number_prompts,
)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PromptLibrary]:
    yield build_prompts(tmp_path_factory.mktemp("prompts"))


def _audio(path: Path) -> tuple[tuple[int, int, int], array.array[int]]:
    with wave.open(str(path)) as wav:
        fmt = (wav.getframerate(), wav.getnchannels(), wav.getsampwidth())
        samples = array.array("h", wav.readframes(wav.getnframes()))
    return fmt, samples


def test_every_catalogue_entry_exists_in_every_language(built: PromptLibrary) -> None:
    assert set(CATALOGUE) == {"en", "zh"} and set(CATALOGUE["en"]) == set(CATALOGUE["zh"])
    for language, texts in CATALOGUE.items():
        files = {p.stem for p in (built.root / language).glob("*.wav")}
        assert files == set(texts), language
        assert not list((built.root / language).glob(".*.raw.wav"))  # intermediates removed
    assert {p.stem for p in (built.root / "common").glob("*.wav")} == set(TONES)
    assert built.names() == set(CATALOGUE["en"]) | set(TONES)


def test_every_file_is_8khz_mono_16_bit_and_audible(built: PromptLibrary) -> None:
    for path in sorted(built.root.glob("*/*.wav")):
        fmt, samples = _audio(path)
        assert fmt == (8000, 1, 2), path
        assert len(samples) > 8000 * 0.3, path  # speech (or a tone) plus the 0.2 s pad
        assert max(abs(s) for s in samples) > 1000, f"{path} is silent"


def test_languages_differ_and_speech_lengths_follow_the_text(built: PromptLibrary) -> None:
    _, en = _audio(built.path("welcome", "en"))
    _, zh = _audio(built.path("welcome", "zh"))
    assert en != zh
    _, short = _audio(built.path("digit_1", "en"))
    _, long = _audio(built.path("main_menu", "en"))
    assert len(long) > 3 * len(short)


def test_music_loops_for_seconds_and_the_beep_is_short(built: PromptLibrary) -> None:
    _, music = _audio(built.path("music"))
    _, beep = _audio(built.path("beep"))
    assert len(music) >= 8000 * 7 and 8000 * 0.3 <= len(beep) <= 8000 * 0.5


def test_an_unchanged_catalogue_is_not_rebuilt(built: PromptLibrary,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    before = {p: p.stat().st_mtime_ns for p in built.root.glob("*/*.wav")}
    monkeypatch.setenv("PATH", "/nonexistent")  # a rebuild would fail: no tools found
    again = build_prompts(built.root)
    assert again == built
    assert {p: p.stat().st_mtime_ns for p in built.root.glob("*/*.wav")} == before


def test_a_changed_catalogue_is_rebuilt(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(prompts, "CATALOGUE", {"en": {"welcome": "Hello."}})
    monkeypatch.setattr(prompts, "TONES", {"beep": TONES["beep"]})
    build_prompts(tmp_path)
    first = (tmp_path / "en/welcome.wav").read_bytes()
    stamp = (tmp_path / ".catalogue").read_text()
    monkeypatch.setattr(prompts, "CATALOGUE", {"en": {"welcome": "Hello and welcome back."}})
    library = build_prompts(tmp_path)
    assert (tmp_path / "en/welcome.wav").read_bytes() != first
    assert (tmp_path / ".catalogue").read_text() != stamp
    assert library.has("welcome", "en")


def test_missing_tools_are_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(PromptError, match="espeak-ng is not installed"):
        build_prompts(tmp_path / "out")
    (tmp_path / "espeak-ng").symlink_to("/usr/bin/espeak-ng")
    with pytest.raises(PromptError, match="sox is not installed"):
        build_prompts(tmp_path / "out")


def test_a_failing_tool_names_the_prompt(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(prompts, "CATALOGUE", {"en": {"welcome": "Hello."}})
    monkeypatch.setattr(prompts, "TONES", {"beep": ("synth", "0.4", "no-such-wave")})
    with pytest.raises(PromptError, match=r"building beep: .*sox"):
        build_prompts(tmp_path)
    assert not (tmp_path / ".catalogue").exists()  # a failed build is not stamped as done


@pytest.fixture
def library(tmp_path: Path) -> PromptLibrary:
    for rel in ("en/welcome", "en/goodbye", "zh/welcome", "common/music"):
        (tmp_path / f"{rel}.wav").parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / f"{rel}.wav").write_bytes(b"RIFF")
    (tmp_path / "zh/goodbye.wav").mkdir()  # not a file: never returned
    return PromptLibrary(tmp_path)


def test_path_prefers_the_language_then_the_default_then_common(library: PromptLibrary) -> None:
    root = library.root.resolve()
    assert library.path("welcome", "zh") == root / "zh/welcome.wav"
    assert library.path("welcome") == root / "en/welcome.wav"
    assert library.path("goodbye", "zh") == root / "en/goodbye.wav"
    assert library.path("goodbye", "fr") == root / "en/goodbye.wav"
    assert library.path("music", "zh") == root / "common/music.wav"
    assert PromptLibrary(library.root, default_language="zh").path("welcome") == (
        root / "zh/welcome.wav")


def test_a_missing_prompt_is_a_prompt_error_naming_it(library: PromptLibrary) -> None:
    with pytest.raises(PromptError, match=r"no prompt 'callback_offer' for language 'zh'"):
        library.path("callback_offer", "zh")
    assert not library.has("callback_offer", "zh") and library.has("music")
    assert library.names() == {"welcome", "goodbye", "music"}


def test_a_name_cannot_escape_the_library(library: PromptLibrary) -> None:
    outside = library.root.parent / "secret.wav"
    outside.write_bytes(b"RIFF")
    try:
        assert not library.has("../../secret", "en")
    finally:
        os.unlink(outside)


@pytest.mark.parametrize(("value", "expected"), [
    (0, ("digit_0",)), (7, ("digit_7",)), (42, ("digit_4", "digit_2")),
    (105, ("digit_1", "digit_0", "digit_5")), (-3, ("digit_0",)),
])
def test_number_prompts_are_digit_by_digit(value: int, expected: tuple[str, ...]) -> None:
    assert number_prompts(value) == expected
    assert all(name in CATALOGUE["en"] and name in CATALOGUE["zh"] for name in expected)
