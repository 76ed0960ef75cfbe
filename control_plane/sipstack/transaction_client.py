"""Client transactions (RFC 3261 §17.1): INVITE (timers A, B, D) and non-INVITE (E, F, K).

The INVITE client also follows RFC 6026: after a 2xx it stays Accepted for 64*T1 so that
2xx retransmissions from other branches still reach the TU (which re-sends the ACK).
"""

from __future__ import annotations

from collections.abc import Callable

from control_plane.sipstack.message import SipRequest, SipResponse, make_response
from control_plane.sipstack.peer import Peer
from control_plane.sipstack.transaction_base import Context, State, Transaction, derived_request

ResponseHandler = Callable[[SipResponse], None]


class ClientTransaction(Transaction):
    """Common part of client transactions: report responses (real or synthetic) to the TU."""

    def __init__(
        self,
        ctx: Context,
        request: SipRequest,
        peer: Peer,
        initial: State,
        *,
        on_response: ResponseHandler,
        on_terminated: Callable[[Transaction], None],
    ) -> None:
        super().__init__(ctx, request, peer, initial, on_terminated)
        self._on_response = on_response
        self.final_response: SipResponse | None = None

    @property
    def key(self) -> tuple[str, str]:
        """Table key (RFC 3261 §17.1.3): branch and CSeq method."""
        return (self.branch, self.request.cseq.method)

    def _report(self, response: SipResponse) -> None:
        if response.status >= 200 and self.final_response is None:
            self.final_response = response
        self._on_response(response)

    def _fail(self, status: int, reason: str) -> None:
        """Timeout or transport error: the TU sees a synthetic 408/503 (RFC 3261 §8.1.3.1)."""
        if self.final_response is None:
            self._report(make_response(self.request, status, reason))
        self.terminate()

    def _transport_failed(self) -> None:
        self._fail(503, "Transport Error")

    def start(self) -> None:
        """Send the request and start the timers."""
        raise NotImplementedError

    def receive(self, response: SipResponse) -> None:
        """A response matched this transaction."""
        raise NotImplementedError


class InviteClientTransaction(ClientTransaction):
    """RFC 3261 §17.1.1 with RFC 6026's Accepted state."""

    def __init__(
        self,
        ctx: Context,
        request: SipRequest,
        peer: Peer,
        on_response: ResponseHandler,
        on_terminated: Callable[[Transaction], None],
    ) -> None:
        super().__init__(
            ctx, request, peer, State.CALLING, on_response=on_response, on_terminated=on_terminated
        )
        self._interval = ctx.timers.t1
        self._ack: SipRequest | None = None
        self.cancel_requested = False
        self.on_provisional_for_cancel: Callable[[], None] | None = None

    def start(self) -> None:
        """Send the INVITE; A retransmits (UDP only), B gives up."""
        if not self._send(self.request):
            return
        if not self.reliable:
            self._start_timer("A", self._interval, self._timer_a)
        self._start_timer("B", self.ctx.timers.timeout, self._timer_b)

    def _timer_a(self) -> None:
        if self.state is State.CALLING and self._send(self.request):
            self._interval *= 2
            self._start_timer("A", self._interval, self._timer_a)

    def _timer_b(self) -> None:
        if self.state in (State.CALLING, State.PROCEEDING):
            self._fail(408, "Request Timeout")

    def receive(self, response: SipResponse) -> None:
        """Drive the machine with a matching response."""
        status = response.status
        if self.state in (State.CALLING, State.PROCEEDING):
            if status < 200:
                if self.state is State.CALLING:
                    self.state = State.PROCEEDING
                    self._stop_timer("A")
                    if not self.cancel_requested:
                        self._stop_timer("B")
                self._report(response)
                if self.cancel_requested and self.on_provisional_for_cancel is not None:
                    hook, self.on_provisional_for_cancel = self.on_provisional_for_cancel, None
                    hook()
            elif status < 300:
                self._stop_timer("A")
                self._stop_timer("B")
                self.state = State.ACCEPTED
                self._start_timer("M", self.ctx.timers.timeout, self.terminate)
                self._report(response)
            else:
                self._stop_timer("A")
                self._stop_timer("B")
                self.state = State.COMPLETED
                self._ack = derived_request(self.request, "ACK", to=response.to)
                self._send(self._ack)
                delay = 0.0 if self.reliable else self.ctx.timers.timer_d
                self._start_timer("D", delay, self.terminate)
                self._report(response)
        elif self.state is State.ACCEPTED and 200 <= status < 300:
            self._report(response)
        elif self.state is State.COMPLETED and status >= 300 and self._ack is not None:
            self._send(self._ack)  # the ACK got lost: answer each retransmission

    def guard_cancel(self) -> None:
        """After a CANCEL, give up on the INVITE if no final answer comes (RFC 3261 §9.1)."""
        self.cancel_requested = True
        self._start_timer("B", self.ctx.timers.timeout, self._timer_b)


class NonInviteClientTransaction(ClientTransaction):
    """RFC 3261 §17.1.2."""

    def __init__(
        self,
        ctx: Context,
        request: SipRequest,
        peer: Peer,
        on_response: ResponseHandler,
        on_terminated: Callable[[Transaction], None],
    ) -> None:
        super().__init__(
            ctx, request, peer, State.TRYING, on_response=on_response, on_terminated=on_terminated
        )
        self._interval = ctx.timers.t1

    def start(self) -> None:
        """Send the request; E retransmits (UDP only), F gives up."""
        if not self._send(self.request):
            return
        if not self.reliable:
            self._start_timer("E", self._interval, self._timer_e)
        self._start_timer("F", self.ctx.timers.timeout, self._timer_f)

    def _timer_e(self) -> None:
        if self.state not in (State.TRYING, State.PROCEEDING):
            return
        if self._send(self.request):
            t2 = self.ctx.timers.t2
            self._interval = t2 if self.state is State.PROCEEDING else min(self._interval * 2, t2)
            self._start_timer("E", self._interval, self._timer_e)

    def _timer_f(self) -> None:
        if self.state in (State.TRYING, State.PROCEEDING):
            self._fail(408, "Request Timeout")

    def receive(self, response: SipResponse) -> None:
        """Drive the machine with a matching response."""
        if self.state not in (State.TRYING, State.PROCEEDING):
            return  # Completed absorbs retransmitted finals
        if response.status < 200:
            self.state = State.PROCEEDING
            self._report(response)
            return
        self._stop_timer("E")
        self._stop_timer("F")
        self.state = State.COMPLETED
        self._report(response)
        self._start_timer("K", 0.0 if self.reliable else self.ctx.timers.t4, self.terminate)
