"""The live WebSocket's protocol: messages, channels, error ids and close codes.

Text frames, one JSON object each, with a ``type``. The client sends:

- ``{"type": "subscribe", "channel": "desk" | "wallboard" | "cti", "id"?: str,
  "kinds"?: [kind...], "queues"?: [name...], "tenant"?: str}`` (``tenant``: the operator
  only, who must name one);
- ``{"type": "unsubscribe", "id": str}``; ``{"type": "ping", "nonce"?: str}``.

The server sends ``hello`` on connect (who you are, the heartbeat period, the channels and
event kinds), ``subscribed`` with a ``snapshot`` of the current picture, ``event`` (one
:class:`~control_plane.events.bus.LiveEvent`; on the desk, ``call.offered`` carries a
``screen_pop``), ``lagged`` (events were dropped for this subscription: re-read the state
named in ``resync``), ``heartbeat`` every period, ``pong``, ``unsubscribed`` and ``error``
(``{"error": {"id", "message", "details"}}``, the REST API's shape).

Channels: ``desk`` (permission agents.state, a user linked to an agent: that agent's offers,
calls and state), ``wallboard`` (stats.read: queue figures, waiting and abandoned calls,
agents' states; agents see only themselves, team leads their team), ``cti`` (calls.read:
every kind, narrowed by ``kinds`` and ``queues``; the same scope as the wallboard).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from typing import Annotated, Any, Final, Literal

from pydantic import BaseModel, ConfigDict, Field

from control_plane.events.bus import EventKind

#: The subprotocol a browser offers along with ``bearer.<token>``.
SUBPROTOCOL: Final = "callcenter.v1"
BEARER_PREFIX: Final = "bearer."


class WsClose(IntEnum):
    """Close codes of the live socket (4xxx: ours; the reason text is the error id)."""

    NORMAL = 1000
    GOING_AWAY = 1001  # the server shuts down: reconnect to another replica
    UNSUPPORTED = 1003  # a binary frame
    TOO_BIG = 1009
    BAD_MESSAGES = 4400  # too many malformed messages: the client is broken
    AUTH = 4401  # the token expired or was revoked while connected: log in again
    LAGGING = 4429  # lagged again and again: the client cannot keep up


class WsErrorId:
    """Error ids only the socket sends (the REST ones, ``auth.*`` and
    ``permission.denied``, keep their meaning here)."""

    BAD_MESSAGE: Final = "ws.bad_message"
    BAD_SUBSCRIPTION: Final = "ws.bad_subscription"
    TOO_MANY_SUBSCRIPTIONS: Final = "ws.too_many_subscriptions"
    UNKNOWN_SUBSCRIPTION: Final = "ws.unknown_subscription"
    LAGGING: Final = "ws.lagging"
    UNSUPPORTED_FRAME: Final = "ws.unsupported_frame"


def error(error_id: str, message: str, **details: Any) -> dict[str, Any]:
    """An ``error`` message."""
    return {"type": "error", "error": {"id": error_id, "message": message,
                                       "details": details}}


Channel = Literal["desk", "wallboard", "cti"]
_NAME = r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$"


class Subscribe(BaseModel):
    """Start receiving a channel's events."""

    model_config = ConfigDict(extra="forbid")

    type: Literal["subscribe"]
    channel: Channel
    id: Annotated[str | None, Field(pattern=_NAME)] = None
    kinds: Annotated[list[EventKind] | None, Field(max_length=32)] = None
    queues: Annotated[list[Annotated[str, Field(min_length=1, max_length=64)]] | None,
                      Field(max_length=200)] = None
    tenant: Annotated[str | None, Field(min_length=1, max_length=64)] = None


class Unsubscribe(BaseModel):
    """Stop one subscription."""

    model_config = ConfigDict(extra="forbid")

    type: Literal["unsubscribe"]
    id: Annotated[str, Field(pattern=_NAME)]


class Ping(BaseModel):
    """Ask for a ``pong`` (the browser cannot send WebSocket pings itself)."""

    model_config = ConfigDict(extra="forbid")

    type: Literal["ping"]
    nonce: Annotated[str | None, Field(max_length=64)] = None


#: Every message a client may send, by its ``type``.
MESSAGES: Final[dict[str, type[Subscribe | Unsubscribe | Ping]]] = {
    "subscribe": Subscribe, "unsubscribe": Unsubscribe, "ping": Ping}


@dataclass(frozen=True, slots=True)
class ChannelSpec:
    """What a channel carries and who may subscribe."""

    permission: str
    kinds: frozenset[EventKind]
    agent_only: bool  # a user linked to an agent, that agent's events only


_CALL_FLOW = frozenset({
    EventKind.CALL_OFFERED, EventKind.CALL_OFFER_ENDED, EventKind.CALL_CONNECTED,
    EventKind.CALL_HELD, EventKind.CALL_RESUMED, EventKind.CALL_TRANSFERRED,
    EventKind.CALL_ENDED})

CHANNELS: Final[dict[str, ChannelSpec]] = {
    "desk": ChannelSpec("agents.state", _CALL_FLOW | {EventKind.AGENT_STATE}, True),
    "wallboard": ChannelSpec("stats.read", frozenset({
        EventKind.QUEUE_STATS, EventKind.AGENT_STATE, EventKind.CALL_QUEUED,
        EventKind.CALL_ABANDONED}), False),
    "cti": ChannelSpec("calls.read", frozenset(EventKind), False),
}

#: Data fields holding a caller's personal data (masked for users without PII rights).
PII_FIELDS: Final = frozenset({"caller", "caller_name", "target"})

HEARTBEAT_SECONDS: Final = 20.0
MAX_SUBSCRIPTIONS: Final = 8
MAX_MESSAGE_BYTES: Final = 16 * 1024
MAX_BAD_MESSAGES: Final = 20
LAGS_BEFORE_CLOSE: Final = 3
LAG_WINDOW_SECONDS: Final = 60.0


@dataclass(frozen=True, slots=True)
class WsConfig:
    """Tunables of the live socket (tests shorten the heartbeat)."""

    heartbeat_seconds: float = HEARTBEAT_SECONDS
    buffer: int = 256
    max_subscriptions: int = MAX_SUBSCRIPTIONS
    screen_pop_timeout: float = 2.0
    pump_tick: float = 1.0  # how often queue and agent figures are compared and published
