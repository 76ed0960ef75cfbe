"""One caller's call through the center: answer, IVR, queue, agent, hangup, records.

X = the caller's Call-ID, C = the caller's From tag, B = our To tag toward the caller and
the ONE far-side tag of the RTPengine call, used for the IVR and every agent in turn.
Caller hangup can happen at any stage; `run`'s cleanup always ends every leg, releases the
media, tells the ACD and writes the records, so no call is lost.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Coroutine
from datetime import UTC, datetime

import structlog

from control_plane.acd.events import (
    CallAbandoned,
    CallEnded,
)
from control_plane.acd.model import AgentRef, CallRef, PriorityClass
from control_plane.calls.agent_leg import AgentLeg
from control_plane.calls.center import Route
from control_plane.calls.context import ControllerContext, Recorder
from control_plane.calls.media_io import CallerMedia
from control_plane.calls.phase import Phase
from control_plane.calls.queue_side import QueueSide
from control_plane.calls.records import CallRecord
from control_plane.calls.sdp import SdpError, parse_audio, placeholder_answer
from control_plane.events.bus import EventKind
from control_plane.ivr.flow import Node
from control_plane.ivr.runner import IvrOutcome, run_flow
from control_plane.media.ng_errors import NgFailure
from control_plane.recordings.converter import CallRecording, VoicemailMessage
from control_plane.recordings.spool import audio_port, start_recording_extra
from control_plane.sipstack.exchange import IncomingRequest
from control_plane.sipstack.uri import SipUri

__all__ = ["CallSession", "Phase"]

log = structlog.get_logger(__name__)
_PRIORITY = {"normal": PriorityClass.NORMAL, "important": PriorityClass.IMPORTANT,
             "vip": PriorityClass.VIP}
SDP = (("Content-Type", "application/sdp"),)


class CallSession(QueueSide):
    """The controller's side of one caller (see the module docstring)."""

    def __init__(self, ctx: ControllerContext, incoming: IncomingRequest, route: Route) -> None:
        self.ctx = ctx
        self.incoming = incoming
        request = incoming.request
        self.call_id = request.call_id
        self.caller_tag = request.from_.tag or ""
        self.far_tag = incoming.to_tag
        uri = request.from_.uri
        self.caller = uri.user or "" if isinstance(uri, SipUri) else ""
        self.route = route
        self.ref = CallRef(route.tenant, self.call_id)
        self.caller_sdp = request.body.decode(errors="replace")
        self.phase = Phase.ANSWERING
        self.language = ctx.center.languages.get(route.tenant, "en")
        self.media = CallerMedia(ctx.ng, ctx.prompts, call_id=self.call_id,
                                 caller_tag=self.caller_tag)
        self.offers: dict[AgentRef, AgentLeg] = {}
        self.agent_leg: AgentLeg | None = None
        self.transfer_leg: AgentLeg | None = None
        self.acd_connected = False  # the ACD holds this segment as connected to an agent
        self.on_hold = False
        self.media_blocked = False  # a desk hold blocks the far side (calls/desk_control.py)
        self.hold_since = 0.0
        self.segment = 0
        self._tasks: set[asyncio.Task[None]] = set()
        self.listeners: set[AgentLeg] = set()  # supervisors listening in
        self.recording = False
        self.media_created = False
        self.refusal: tuple[int, str] | None = None  # how we refused the caller, if we did
        self.callback = False  # the caller chose to be called back (the ACD keeps the place)
        self.callback_offered = False
        self.caller_answer_sdp = ""  # RTPengine's SDP in our 200 to the caller
        self.record = CallRecord(call_id=self.call_id, tenant=route.tenant, did=route.number,
                                 caller=self.caller, started_at=ctx.wall())
        self.ended = asyncio.Event()
        self.task: asyncio.Task[None] | None = None
        self.log = log.bind(call_id=self.call_id, tenant=route.tenant)

    # ----- lifecycle -----

    def start(self) -> None:
        """Run the call in its own task."""
        self.task = asyncio.get_running_loop().create_task(self.run())

    async def run(self) -> None:
        """Answer, route, wait for the end; always clean up."""
        try:
            if await self._answer():
                self.ctx.keep(self)
                outcome = await self._route()
                await self._after_ivr(outcome)
                await self.ended.wait()
        except asyncio.CancelledError:
            pass
        except Exception as exc:
            self.log.exception("call failed")
            self.record.note(f"controller error: {exc}")
            if not self.incoming.answered:  # the caller learns why instead of timing out
                self._refuse(500, "Controller Error", f"controller error: {exc}")
        finally:
            await asyncio.shield(self._finish())

    async def _answer(self) -> bool:
        incoming = self.incoming
        try:
            offer = parse_audio(self.caller_sdp)
            placeholder = placeholder_answer(offer, secrets.randbelow(2**31),
                                             self.ctx.ua.transport.host)
        except SdpError as exc:
            self._refuse(488, "Not Acceptable Here", str(exc))
            return False
        try:
            await self.ctx.ng.offer(call_id=self.call_id, from_tag=self.caller_tag,
                                    sdp=self.caller_sdp)
            self.media_created = True  # from here on, hangup deletes the media call
            answer = await self.ctx.ng.answer(call_id=self.call_id, from_tag=self.caller_tag,
                                              to_tag=self.far_tag, sdp=placeholder)
        except (NgFailure, OSError, TimeoutError) as exc:
            self._refuse(503, "Media Unavailable", f"rtpengine: {exc}")
            return False
        if self.ended.is_set():  # cancelled while we set up the media
            return False
        incoming.respond(200, headers=SDP, body=answer.sdp.encode())
        self.caller_answer_sdp = answer.sdp
        self.record.answered(self.ctx.wall())
        self.phase = Phase.IVR
        try:  # in-band tones as well as RFC 4733 (10.5 reads detect-DTMF here only)
            await self.ctx.ng.unblock_dtmf(call_id=self.call_id, from_tag=self.caller_tag)
        except Exception as exc:
            self.record.note(f"in-band DTMF detection unavailable: {exc}")
        return True

    def _refuse(self, status: int, reason: str, why: str) -> None:
        self.log.warning("call refused", status=status, why=why)
        self.refusal = (status, reason)
        if not self.incoming.answered:
            self.incoming.respond(status, reason, headers=(("Reason", f'Q.850;text="{why}"'),))
        self.record.refused(status, why)
        self.phase = Phase.ENDED

    async def _route(self) -> IvrOutcome:
        route = self.route
        if self.ctx.record_calls and self.ctx.center.recording_notice.get(route.tenant, False):
            await self.media.play("recording_notice", language=self.language, barge_in=False)
        if route.flow is None:
            return IvrOutcome(action="queue", target=route.queue or "", language=self.language)
        flow = self.ctx.center.flows[(route.tenant, route.flow)]
        self.record.flow = route.flow
        self.language = flow.language
        return await run_flow(flow, self, caller=self.caller)

    def resume(self) -> None:
        """Carry on a call another replica answered and kept (calls/failover): the IVR
        starts over, a queued caller gets music again (the ACD kept the place), a
        connected one just goes on; a voicemail being recorded cannot be resumed."""
        async def resumed() -> None:
            try:
                if self.phase is Phase.IVR:
                    await self._after_ivr(await self._route())
                elif self.phase is Phase.QUEUED:
                    self.media.start_music(language=self.language)
                elif self.phase is not Phase.CONNECTED:
                    self.end("failover")
                await self.ended.wait()
            except asyncio.CancelledError:
                pass
            except Exception as exc:
                self.log.exception("resumed call failed")
                self.record.note(f"controller error: {exc}")
            finally:
                await asyncio.shield(self._finish())

        self.task = asyncio.get_running_loop().create_task(resumed())

    async def _after_ivr(self, outcome: IvrOutcome) -> None:
        self.language = outcome.language
        if outcome.action == "queue":
            self.enqueue(outcome.target, outcome)
        elif outcome.action == "voicemail":
            await self.voicemail(outcome.target)
        elif outcome.action == "transfer":
            from control_plane.calls.incall import ivr_transfer

            await ivr_transfer(self, outcome.target)
        else:
            self.end("ivr")

    def end(self, cause: str) -> None:
        """End the call from our side (BYE to whoever is still up in `_finish`)."""
        self.record.hangup_cause = self.record.hangup_cause or cause
        self.ended.set()

    # ----- IvrIo -----

    async def play(self, prompt: str, *, language: str, barge_in: bool) -> str | None:
        """IvrIo: a prompt to the caller."""
        return await self.media.play(prompt, language=language, barge_in=barge_in)

    async def digit(self, timeout_s: float) -> str | None:
        """IvrIo: the caller's next digit."""
        return await self.media.digit(timeout_s)

    async def webhook(self, url: str, payload: dict[str, str], timeout_s: float) -> str | None:
        """IvrIo: ask the tenant's web program which branch to take."""
        if self.ctx.webhook is None:
            return None
        return await self.ctx.webhook(url, payload, timeout_s)

    def trace(self, node: Node, event: str, value: str = "") -> None:
        """IvrIo: an IVR event for analytics."""
        self.record.ivr(node.id, event, value, self.ctx.wall())

    async def start_recording(self) -> None:
        """Ask RTPengine to capture this call (pcap); a failure is noted, not fatal."""
        if self.recording:
            return
        try:
            await self.ctx.ng.start_recording(
                call_id=self.call_id,
                extra=start_recording_extra(caller_sdp=self.caller_answer_sdp))
            self.recording = True
        except Exception as exc:
            self.record.note(f"recording unavailable: {exc}")

    async def _convert_recording(self, recorder: Recorder) -> None:
        port = audio_port(self.caller_answer_sdp)
        r = self.record
        if r.voicemail:
            start, end = r.voicemail_span
            message = await recorder.convert_voicemail(VoicemailMessage(
                call_id=self.call_id, tenant=r.tenant, queue_id=None, caller_number=r.caller,
                start=datetime.fromtimestamp(start, UTC), end=datetime.fromtimestamp(end, UTC),
                caller_port=port))
            hook = self.ctx.center.voicemail_hooks.get((r.tenant, r.queue))
            if hook is not None and self.ctx.notify is not None:
                await self.ctx.notify(hook, {
                    "event": "voicemail.new", "tenant": r.tenant, "queue": r.queue,
                    "caller": r.caller, "call_id": self.call_id,
                    "received_at": datetime.fromtimestamp(start, UTC).isoformat(),
                    "voicemail_id": getattr(message, "id", None),
                    "duration_seconds": getattr(message, "duration_seconds", None)})
        else:
            await recorder.convert_call(CallRecording(call_id=self.call_id, tenant=r.tenant,
                                                      caller_port=port))

    async def voicemail(self, queue: str) -> None:
        """Greeting, tone, then the caller's message (control_plane/calls/voicemail.py)."""
        from control_plane.calls.voicemail import take_message

        self.phase = Phase.VOICEMAIL
        self.record.queued(queue, self.ctx.wall(), voicemail=True)
        await take_message(self, queue)
        self.end("voicemail_done")

    # ----- hangups -----

    def caller_gone(self, cause: str) -> None:
        """The caller hung up (BYE) or cancelled before the answer."""
        self.record.hangup_cause = self.record.hangup_cause or cause
        if not self.incoming.answered:  # CANCEL: the INVITE ended 487 Request Terminated
            self.record.sip_code = 487
        self.ended.set()
        if self.task is not None and self.phase in (Phase.IVR, Phase.VOICEMAIL,
                                                    Phase.ANSWERING):
            self.task.cancel()

    def agent_gone(self, leg: AgentLeg) -> None:
        """The connected agent (or transfer target) hung up."""
        if leg is self.agent_leg:
            leg.dialog = None
            if self.transfer_leg is not None:  # a blind transfer's agent may leave at once
                self.agent_leg = None
                self.release_agent()
                return
            self.end("agent" if not self.record.transferred else "transfer_target")

    # ----- in call (control_plane/calls/incall.py does the work) -----

    def spawn(self, work: Coroutine[object, object, object]) -> None:
        """Run ``work`` for this call; cancelled when the call ends."""
        async def run() -> None:
            try:
                await work
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                self.log.warning("call task failed", error=str(exc))

        task = asyncio.get_running_loop().create_task(run())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def hold_changed(self, on_hold: bool) -> None:
        """Hold starts or ends (hold time goes into the records)."""
        now = self.ctx.wall()
        if on_hold == self.on_hold:
            return
        if on_hold:
            self.hold_since = now
        else:
            self.record.hold_s += now - self.hold_since
            if self.media_blocked:  # the next voice on the far side must be heard
                from control_plane.calls.desk_control import unblock

                self.spawn(unblock(self))
        self.on_hold = on_hold
        self.ctx.keep(self)
        self.ctx.publish(EventKind.CALL_HELD if on_hold else EventKind.CALL_RESUMED,
                         tenant=self.route.tenant, call_id=self.call_id,
                         queue=self.record.queue, agent=self.record.agent)

    def release_agent(self) -> None:
        """The agent is done with this caller: the ACD ends the segment (wrap-up follows)."""
        if self.acd_connected:
            self.acd_connected = False
            self.ctx.acd.apply(CallEnded(call=self.ref))
            self.ctx.keep(self)

    async def _finish(self) -> None:
        phase, self.phase = self.phase, Phase.ENDED
        self.ctx.forget(self.call_id)
        self.media.cancel_background()
        for leg in list(self.offers.values()):
            leg.withdraw()
        if phase is Phase.QUEUED and self.record.queue_outcome is None and not self.callback:
            waited = self.ctx.wall() - self.record.enqueued_at
            self.ctx.metrics.abandoned(self.route.tenant, self.record.queue, waited_s=waited)
            self.ctx.publish(EventKind.CALL_ABANDONED, tenant=self.route.tenant,
                             call_id=self.call_id, queue=self.record.queue,
                             waited_s=round(waited, 1))
            self.ctx.acd.apply(CallAbandoned(call=self.ref))
        if self.transfer_leg is not None:
            self.transfer_leg.withdraw()
        for listener in list(self.listeners):
            listener.hang_up()
        if phase is Phase.CONNECTED and self.agent_leg is not None:
            self.agent_leg.hang_up()
        self.hold_changed(False)
        self.release_agent()
        for task in list(self._tasks):
            task.cancel()
        dialog = self.incoming.dialog
        if dialog is not None and dialog.id in self.ctx.ua.dialogs:
            self.ctx.ua.send_bye(dialog)
        if self.media_created:
            try:
                totals = await self.ctx.ng.query(call_id=self.call_id)
                self.record.media(totals)
            except Exception as exc:
                self.record.note(f"media totals unavailable: {exc}")
            try:
                await self.ctx.ng.delete(call_id=self.call_id)
            except Exception as exc:
                self.record.note(f"media release failed: {exc}")
            if self.recording and self.ctx.recorder is not None:
                self.ctx.in_background(self._convert_recording(self.ctx.recorder))
        self.record.ended(self.ctx.wall())
        r = self.record
        if r.sip_code == 200:
            self.ctx.publish(
                EventKind.CALL_ENDED, tenant=r.tenant, call_id=self.call_id, queue=r.queue,
                agent=r.agent, outcome=r.queue_outcome or ("answered" if r.agent else "ended"),
                talk_s=round(r.ended_at - r.connected_at, 1) if r.agent else 0.0)
        self.log.info("call ended", did=r.did, queue=r.queue, agent=r.agent,
                      cause=r.hangup_cause, sip_code=r.sip_code, outcome=r.queue_outcome,
                      offers=len(r.offers), seconds=round(r.ended_at - r.started_at, 1))
        await self.record.write(self.ctx)
