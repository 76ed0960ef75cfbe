"""Prompts: real audio files, synthesised at build time with espeak-ng and sox.

Every prompt the product needs exists in every shipped language; a tenant's own prompt of the
same name (a recorded file) takes precedence. Files are 8 kHz mono 16-bit WAV, which
RTPengine plays to PCMU, PCMA, G722, opus and G729 callers alike (DESIGN §5).
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

# espeak-ng voice per language code we ship.
VOICES: dict[str, str] = {"en": "en-us", "zh": "cmn"}

CATALOGUE: dict[str, dict[str, str]] = {
    "en": {
        "welcome": "Welcome to the call center.",
        "main_menu": "For sales, press 1. For support, press 2. To leave a message, press 9.",
        "support_menu": "For billing, press 1. For technical help, press 2.",
        "invalid": "Sorry, that is not a valid choice.",
        "no_input": "We did not receive your choice.",
        "goodbye": "Thank you for calling. Goodbye.",
        "queue_position_prefix": "You are number",
        "queue_position_suffix": "in the queue.",
        "wait_prefix": "Your expected waiting time is about",
        "wait_minutes": "minutes.",
        "wait_under_minute": "Your expected waiting time is less than one minute.",
        "callback_offer": "To be called back, keeping your place in the queue, press 1.",
        "callback_confirmed": "Thank you. We will call you back when it is your turn.",
        "voicemail_greeting": "Please leave a message after the tone. Press hash when done.",
        "recording_notice": "This call may be recorded for quality purposes.",
        "transferring": "Please hold while we transfer your call.",
        "all_busy": "All our agents are busy. Please call again later.",
        "unavailable": "This service is not available at the moment. Please call again later.",
        "enter_account": "Please enter your account number, followed by hash.",
        **{f"digit_{d}": word for d, word in enumerate(
            ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
        )},
    },
    "zh": {
        "welcome": "欢迎致电客户服务中心。",
        "main_menu": "销售请按1，技术支持请按2，留言请按9。",
        "support_menu": "账单问题请按1，技术帮助请按2。",
        "invalid": "对不起，您的输入无效。",
        "no_input": "我们没有收到您的选择。",
        "goodbye": "感谢您的来电，再见。",
        "queue_position_prefix": "您前面还有",
        "queue_position_suffix": "位客户。",
        "wait_prefix": "预计等待时间约为",
        "wait_minutes": "分钟。",
        "wait_under_minute": "预计等待时间不到一分钟。",
        "callback_offer": "如需回电并保留您的排队位置，请按1。",
        "callback_confirmed": "谢谢，轮到您时我们会给您回电。",
        "voicemail_greeting": "请在提示音后留言，结束请按井号键。",
        "recording_notice": "为保证服务质量，您的通话可能会被录音。",
        "transferring": "正在为您转接，请稍候。",
        "all_busy": "坐席全忙，请稍后再拨。",
        "unavailable": "该服务暂时不可用，请稍后再拨。",
        "enter_account": "请输入您的账号，以井号键结束。",
        **{f"digit_{d}": word for d, word in enumerate("零一二三四五六七八九")},
    },
}

# Not speech: music on hold and the voicemail tone, synthesised with sox.
TONES: dict[str, tuple[str, ...]] = {
    "beep": ("synth", "0.4", "sine", "1000", "vol", "0.5"),
    "music": (
        "synth", "2", "pluck", "C4", "pluck", "E4", "pluck", "G4", ":",
        "synth", "2", "pluck", "A3", "pluck", "C4", "pluck", "E4", ":",
        "synth", "2", "pluck", "F3", "pluck", "A3", "pluck", "C4", ":",
        "synth", "2", "pluck", "G3", "pluck", "B3", "pluck", "D4", "vol", "0.6",
    ),
}


_TOKEN = re.compile(r"[A-Za-z0-9_-]{1,100}")


class PromptError(RuntimeError):
    """A prompt is missing or could not be built; the message names it."""


@dataclass(frozen=True)
class PromptLibrary:
    """Where the built prompts are; ``path`` resolves (language, name) to a file."""

    root: Path
    default_language: str = "en"

    def path(self, name: str, language: str | None = None) -> Path:
        """The file for ``name`` in ``language`` (else the default language); names and
        languages are plain tokens, so no name reaches outside the library."""
        for token in (name, language or self.default_language):
            if not _TOKEN.fullmatch(token):
                raise PromptError(f"not a prompt name or language: {token!r}")
        for lang in (language or self.default_language, self.default_language, "common"):
            candidate = self.root / lang / f"{name}.wav"
            if candidate.is_file():
                return candidate.resolve()
        raise PromptError(f"no prompt {name!r} for language {language!r} under {self.root}")

    def has(self, name: str, language: str | None = None) -> bool:
        """True when ``path`` would find the prompt."""
        try:
            self.path(name, language)
        except PromptError:
            return False
        return True

    def names(self) -> frozenset[str]:
        """Every prompt name available in some language."""
        return frozenset(p.stem for p in self.root.glob("*/*.wav"))


def _run(argv: list[str], what: str) -> None:
    try:
        subprocess.run(argv, check=True, capture_output=True, timeout=60)
    except FileNotFoundError as exc:
        raise PromptError(f"{argv[0]} is not installed (Debian: espeak-ng, sox)") from exc
    except subprocess.CalledProcessError as exc:
        raise PromptError(f"building {what}: {exc.stderr.decode(errors='replace')}") from exc


def _fingerprint() -> str:
    return hashlib.sha256(json.dumps([VOICES, CATALOGUE, TONES], sort_keys=True,
                                     ensure_ascii=False).encode()).hexdigest()[:16]


def build_prompts(root: Path) -> PromptLibrary:
    """Synthesise every prompt into ``root`` unless the same catalogue is already built."""
    stamp = root / ".catalogue"
    if stamp.is_file() and stamp.read_text() == _fingerprint():
        return PromptLibrary(root)
    for tool in ("espeak-ng", "sox"):
        if shutil.which(tool) is None:
            raise PromptError(f"{tool} is not installed (Debian package {tool})")
    for lang, texts in CATALOGUE.items():
        (root / lang).mkdir(parents=True, exist_ok=True)
        for name, text in texts.items():
            raw = root / lang / f".{name}.raw.wav"
            _run(["espeak-ng", "-v", VOICES[lang], "-s", "150", "-w", str(raw), text], name)
            _run(["sox", str(raw), "-r", "8000", "-c", "1", "-b", "16",
                  str(root / lang / f"{name}.wav"), "pad", "0", "0.2"], name)
            raw.unlink()
    (root / "common").mkdir(parents=True, exist_ok=True)
    for name, effect in TONES.items():
        _run(["sox", "-n", "-r", "8000", "-c", "1", "-b", "16",
              str(root / "common" / f"{name}.wav"), *effect], name)
    stamp.write_text(_fingerprint())
    return PromptLibrary(root)


def number_prompts(value: int) -> tuple[str, ...]:
    """Digit-by-digit prompts for a small number (queue positions, minutes)."""
    return tuple(f"digit_{d}" for d in str(max(0, value)))
