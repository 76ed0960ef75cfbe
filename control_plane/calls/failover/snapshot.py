"""What another replica needs to carry a call on: the dialogs, the media tags, the phase and
the record so far, as plain JSON-able data (pure: no I/O).

A snapshot is taken at every phase change of a call (answered, queued, connected, hold,
segment); the taking-over replica rebuilds the session from the last one. Transactions in
flight are not kept: a request that was half-answered when its replica died is retried by
its sender (RFC 3261 retransmissions) and reaches the survivor through the core.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any

from control_plane.calls.records import CallRecord, Offer
from control_plane.sipstack.dialog import Dialog, DialogState
from control_plane.sipstack.headers import Address, parse_address
from control_plane.sipstack.uri import parse_uri

FORMAT = 1


class SnapshotError(ValueError):
    """A stored snapshot that cannot be read back (another version, corrupt JSON)."""


@dataclass(frozen=True, slots=True)
class DialogSnapshot:
    """A dialog's state (RFC 3261 §12) in text form."""

    call_id: str
    local_tag: str
    remote_tag: str
    local_uri: str
    remote_uri: str
    remote_target: str
    route_set: tuple[str, ...]
    local_seq: int
    remote_seq: int | None

    @classmethod
    def of(cls, dialog: Dialog) -> DialogSnapshot:
        """Take a dialog's state."""
        return cls(dialog.call_id, dialog.local_tag, dialog.remote_tag, str(dialog.local_uri),
                   str(dialog.remote_uri), str(dialog.remote_target),
                   tuple(str(a) for a in dialog.route_set), dialog.local_seq, dialog.remote_seq)

    def restore(self) -> Dialog:
        """The dialog again, confirmed. Our CSeq jumps ahead: a request the dead replica
        sent after the snapshot must not make ours look old to the peer."""
        return Dialog(
            call_id=self.call_id, local_tag=self.local_tag, remote_tag=self.remote_tag,
            local_uri=parse_address(self.local_uri, "local URI"),
            remote_uri=parse_address(self.remote_uri, "remote URI"),
            remote_target=parse_uri(self.remote_target, "remote target"),
            route_set=tuple(parse_address(a, "route") for a in self.route_set),
            local_seq=self.local_seq + 100, remote_seq=self.remote_seq,
            state=DialogState.CONFIRMED)


@dataclass(frozen=True, slots=True)
class LegSnapshot:
    """The connected agent's leg."""

    tenant: str
    agent: str
    seat: str
    offered_sdp: str
    offered_at: float
    rang_at: float | None
    answered_at: float | None
    dialog: DialogSnapshot


@dataclass(frozen=True, slots=True)
class SessionSnapshot:
    """One caller's call as the controller holds it (see the module docstring)."""

    call_id: str
    acd_call: str  # the ACD's name for the current segment ("<call-id>" or "<call-id>#n")
    caller_tag: str
    far_tag: str
    caller: str
    number: str
    tenant: str
    flow: str | None
    queue: str | None
    phase: str
    language: str
    caller_sdp: str
    caller_answer_sdp: str
    media_created: bool
    recording: bool
    acd_connected: bool
    on_hold: bool
    hold_since: float
    segment: int
    callback: bool
    caller_dialog: DialogSnapshot
    agent_leg: LegSnapshot | None
    record: dict[str, Any] = field(default_factory=dict)
    owner: str = ""
    saved_at: float = 0.0
    media_blocked: bool = False  # a desk hold blocks the agent's side in RTPengine

    def encode(self) -> bytes:
        """JSON bytes with the format version."""
        return json.dumps({"format": FORMAT, **asdict(self)}, separators=(",", ":"),
                          ensure_ascii=False).encode()

    @classmethod
    def decode(cls, blob: bytes) -> SessionSnapshot:
        """Read one back; `SnapshotError` says why it cannot be."""
        try:
            data = json.loads(blob)
            if data.pop("format", None) != FORMAT:
                raise SnapshotError("snapshot of another format version")
            data["caller_dialog"] = _dialog(data["caller_dialog"])
            leg = data.get("agent_leg")
            if leg is not None:
                leg["dialog"] = _dialog(leg["dialog"])
                data["agent_leg"] = LegSnapshot(**leg)
            return cls(**data)
        except SnapshotError:
            raise
        except (ValueError, TypeError, KeyError) as exc:
            raise SnapshotError(f"unreadable call snapshot: {exc}") from exc


def _dialog(data: dict[str, Any]) -> DialogSnapshot:
    data["route_set"] = tuple(data["route_set"])
    return DialogSnapshot(**data)


def record_data(record: CallRecord) -> dict[str, Any]:
    """A call record's facts so far."""
    return asdict(record)


def record_of(data: dict[str, Any]) -> CallRecord:
    """A call record back from `record_data`."""
    data = dict(data)
    data["offers"] = [Offer(**o) for o in data.get("offers", [])]
    data["voicemail_span"] = tuple(data.get("voicemail_span", (0.0, 0.0)))
    data["ivr_steps"] = [tuple(s) for s in data.get("ivr_steps", [])]
    return CallRecord(**data)


def address_text(address: Address) -> str:
    """An address as stored."""
    return str(address)
