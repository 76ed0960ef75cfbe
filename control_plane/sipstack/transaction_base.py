"""What the four RFC 3261 §17 transaction state machines share: states, timers, sending."""

from __future__ import annotations

import enum
import logging
from collections.abc import Callable
from dataclasses import dataclass

from control_plane.sipstack.headers import CSeq
from control_plane.sipstack.message import SipMessage, SipRequest
from control_plane.sipstack.peer import Peer, Sender
from control_plane.sipstack.timers import Clock, Timer, TimerConfig

log = logging.getLogger(__name__)


class State(enum.Enum):
    """Transaction states of RFC 3261 §17 plus Accepted from RFC 6026."""

    CALLING = "calling"
    TRYING = "trying"
    PROCEEDING = "proceeding"
    ACCEPTED = "accepted"
    COMPLETED = "completed"
    CONFIRMED = "confirmed"
    TERMINATED = "terminated"


@dataclass(frozen=True, slots=True)
class Context:
    """The environment every transaction runs in."""

    send: Sender
    clock: Clock
    timers: TimerConfig


class Transaction:
    """Base of the four machines: a request, a peer, named timers and termination."""

    def __init__(
        self,
        ctx: Context,
        request: SipRequest,
        peer: Peer,
        initial: State,
        on_terminated: Callable[[Transaction], None],
    ) -> None:
        self.ctx = ctx
        self.request = request
        self.peer = peer
        self.state = initial
        self._on_terminated = on_terminated
        self._timers: dict[str, Timer] = {}

    @property
    def branch(self) -> str:
        """The branch of the request's top Via ('' for RFC 2543 peers)."""
        return self.request.top_via.branch or ""

    @property
    def reliable(self) -> bool:
        """True when the transport retransmits for us (TCP)."""
        return self.peer.reliable

    def _start_timer(self, name: str, delay: float, callback: Callable[[], None]) -> None:
        self._stop_timer(name)
        self._timers[name] = self.ctx.clock.call_later(delay, callback)

    def _stop_timer(self, name: str) -> None:
        timer = self._timers.pop(name, None)
        if timer is not None:
            timer.cancel()

    def _send(self, message: SipMessage) -> bool:
        """Hand a message to the transport; False (and terminated) if it failed."""
        try:
            self.ctx.send(message, self.peer)
        except OSError as error:
            log.warning("transport error towards %s: %s", self.peer, error)
            self._transport_failed()
            return False
        return True

    def _transport_failed(self) -> None:
        self.terminate()

    def terminate(self) -> None:
        """Stop every timer and leave the transaction table (idempotent)."""
        if self.state is State.TERMINATED:
            return
        self.state = State.TERMINATED
        for timer in self._timers.values():
            timer.cancel()
        self._timers.clear()
        self._on_terminated(self)


def derived_request(request: SipRequest, method: str, to: object = None) -> SipRequest:
    """ACK or CANCEL built from `request` (RFC 3261 §17.1.1.3, §9.1): same Request-URI,
    Call-ID, From, CSeq number, Route set and top Via (so the same branch); no body."""
    return SipRequest(
        method=method,
        uri=request.uri,
        via=(request.top_via,),
        from_=request.from_,
        to=request.to if to is None else to,  # type: ignore[arg-type]
        call_id=request.call_id,
        cseq=CSeq(request.cseq.seq, method),
        route=request.route,
        max_forwards=70,
    )
