"""Server transactions (RFC 3261 §17.2): INVITE (timers G, H, I) and non-INVITE (J).

The INVITE server follows RFC 6026: after a 2xx it is Accepted for 64*T1 (timer L),
absorbing retransmitted INVITEs (which would otherwise start a second call) and
retransmitting the 2xx until the ACK arrives, as RFC 3261 §13.3.1.4 asks of the UAS core.
"""

from __future__ import annotations

from collections.abc import Callable

from control_plane.sipstack.message import SipRequest, SipResponse
from control_plane.sipstack.peer import Peer
from control_plane.sipstack.transaction_base import Context, State, Transaction


class ServerTransaction(Transaction):
    """Common part: remember the last response so retransmitted requests get it again."""

    def __init__(
        self,
        ctx: Context,
        request: SipRequest,
        peer: Peer,
        initial: State,
        on_terminated: Callable[[Transaction], None],
    ) -> None:
        super().__init__(ctx, request, peer, initial, on_terminated)
        self.last_response: SipResponse | None = None

    @property
    def final_sent(self) -> bool:
        """True once a final (>= 200) response went out."""
        return self.last_response is not None and self.last_response.status >= 200

    def respond(self, response: SipResponse) -> None:
        """Send a response from the TU."""
        raise NotImplementedError

    def receive_request(self, request: SipRequest) -> None:
        """A retransmission of the request (or the ACK, for INVITE) matched."""
        raise NotImplementedError


class InviteServerTransaction(ServerTransaction):
    """RFC 3261 §17.2.1 with RFC 6026's Accepted state."""

    def __init__(
        self,
        ctx: Context,
        request: SipRequest,
        peer: Peer,
        on_terminated: Callable[[Transaction], None],
        on_no_ack: Callable[[InviteServerTransaction], None],
    ) -> None:
        super().__init__(ctx, request, peer, State.PROCEEDING, on_terminated)
        self._on_no_ack = on_no_ack
        self._interval = ctx.timers.t1
        self.acked = False
        # Set by the transaction layer to index the 2xx for the ACK that will follow.
        self.on_accepted: Callable[[InviteServerTransaction], None] | None = None

    def respond(self, response: SipResponse) -> None:
        """Provisional: send and stay; 2xx: Accepted; 3xx-6xx: Completed with G and H."""
        if self.state is not State.PROCEEDING:
            return  # a final answer was already given; RFC 3261 allows only one
        self.last_response = response
        if not self._send(response):
            return
        if response.status < 200:
            return
        self._interval = self.ctx.timers.t1
        if response.status < 300:
            self.state = State.ACCEPTED
            self._start_timer("2xx", self._interval, self._retransmit_2xx)
            self._start_timer("L", self.ctx.timers.timeout, self._timer_l)
            if self.on_accepted is not None:
                self.on_accepted(self)
        else:
            self.state = State.COMPLETED
            if not self.reliable:
                self._start_timer("G", self._interval, self._timer_g)
            self._start_timer("H", self.ctx.timers.timeout, self._timer_h)

    def _retransmit_2xx(self) -> None:
        response = self.last_response
        if self.state is State.ACCEPTED and not self.acked and response and self._send(response):
            self._interval = min(self._interval * 2, self.ctx.timers.t2)
            self._start_timer("2xx", self._interval, self._retransmit_2xx)

    def _timer_l(self) -> None:
        if not self.acked:
            self._on_no_ack(self)
        self.terminate()

    def _timer_g(self) -> None:
        response = self.last_response
        if self.state is State.COMPLETED and response is not None and self._send(response):
            self._interval = min(self._interval * 2, self.ctx.timers.t2)
            self._start_timer("G", self._interval, self._timer_g)

    def _timer_h(self) -> None:
        if self.state is State.COMPLETED:
            self._on_no_ack(self)
            self.terminate()

    def confirm_2xx(self) -> None:
        """The ACK for our 2xx arrived: stop retransmitting it (timer L still runs)."""
        self.acked = True
        self._stop_timer("2xx")

    def receive_request(self, request: SipRequest) -> None:
        """Absorb a retransmitted INVITE (re-sending the last answer) or take the ACK."""
        if request.method == "ACK":
            if self.state is State.COMPLETED:
                self.state = State.CONFIRMED
                self._stop_timer("G")
                self._stop_timer("H")
                self._start_timer("I", 0.0 if self.reliable else self.ctx.timers.t4, self.terminate)
            return
        if self.state in (State.PROCEEDING, State.COMPLETED) and self.last_response is not None:
            self._send(self.last_response)


class NonInviteServerTransaction(ServerTransaction):
    """RFC 3261 §17.2.2."""

    def __init__(
        self,
        ctx: Context,
        request: SipRequest,
        peer: Peer,
        on_terminated: Callable[[Transaction], None],
    ) -> None:
        super().__init__(ctx, request, peer, State.TRYING, on_terminated)

    def respond(self, response: SipResponse) -> None:
        """Provisional: Proceeding; final: Completed, kept for timer J to absorb retries."""
        if self.state not in (State.TRYING, State.PROCEEDING):
            return
        self.last_response = response
        if not self._send(response):
            return
        if response.status < 200:
            self.state = State.PROCEEDING
            return
        self.state = State.COMPLETED
        delay = 0.0 if self.reliable else self.ctx.timers.timeout
        self._start_timer("J", delay, self.terminate)

    def receive_request(self, request: SipRequest) -> None:
        """Re-send the last answer to a retransmission (nothing yet: absorb it)."""
        if self.state is not State.TRYING and self.last_response is not None:
            self._send(self.last_response)
