"""Typed errors of recording conversion: a stable ``error_id``, the file and the byte offset.

A conversion that fails leaves nothing behind (no WAV, no index row) and keeps RTPengine's
files, so it can be retried once the cause is fixed.
"""

from __future__ import annotations

from pathlib import Path


class RecordingError(Exception):
    """Base: conversion of ``path`` failed at ``offset`` (None: not tied to one byte)."""

    error_id = "recording.error"

    def __init__(self, reason: str, *, path: Path | str | None = None,
                 offset: int | None = None) -> None:
        where = ""
        if path is not None:
            where = f" in {path}" + ("" if offset is None else f" at byte {offset}")
        super().__init__(f"{self.error_id}: {reason}{where}")
        self.reason = reason
        self.path = None if path is None else Path(path)
        self.offset = offset

    def __reduce__(self) -> tuple[object, ...]:
        # Keyword arguments do not survive the default pickling of exceptions, and the
        # conversion may run in a worker process.
        return _rebuild, (type(self), self.reason, self.path, self.offset)


def _rebuild(cls: type[RecordingError], reason: str, path: Path | None,
             offset: int | None) -> RecordingError:
    return cls(reason, path=path, offset=offset)


class NotACapture(RecordingError):
    """The file is not a pcap or pcapng capture (bad magic, bad block)."""

    error_id = "recording.not_a_capture"


class TruncatedCapture(RecordingError):
    """The capture ends inside a header or a packet (a file still being written, or cut)."""

    error_id = "recording.truncated"


class UnsupportedLinkType(RecordingError):
    """The capture's link type is none of Ethernet, Linux cooked, raw IP, null."""

    error_id = "recording.unsupported_link_type"


class UnsupportedCodec(RecordingError):
    """An RTP payload type that is not G.711 (nor an RFC 4733 event, nor comfort noise)."""

    error_id = "recording.unsupported_codec"


class NoAudio(RecordingError):
    """The capture holds no audio for what was asked (no packets, or none in the window)."""

    error_id = "recording.no_audio"


class RecordingNotFound(RecordingError):
    """RTPengine left no finished recording for the call id in its recording directory."""

    error_id = "recording.not_found"


class DirectionUnknown(RecordingError):
    """Which stream is the caller's cannot be told (no caller port given or recorded)."""

    error_id = "recording.direction_unknown"


class MetadataMissing(RecordingError):
    """What the index needs (the tenant) was neither given nor recorded with the capture."""

    error_id = "recording.metadata_missing"


class RecordingTooLong(RecordingError):
    """The audio would exceed the longest recording we write (a corrupt timeline)."""

    error_id = "recording.too_long"


class RecordingExists(RecordingError):
    """A WAV for this call is already at the target path (converted before)."""

    error_id = "recording.exists"
