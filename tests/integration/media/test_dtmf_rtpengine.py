"""RFC 4733 digits through a real RTPengine reach our ``--dtmf-log-dest`` listener."""

from __future__ import annotations

import asyncio
import socket
import uuid

from control_plane.media.dtmf import DtmfEvent, DtmfListener
from control_plane.media.ng import NgClient
from tests.integration.media.conftest import Rtpengine
from tests.integration.media.rtp import RtpSender, caller_sdp, media_port, placeholder_answer


async def test_rfc4733_digits_are_reported(ng: NgClient, rtpengine: Rtpengine) -> None:
    events: asyncio.Queue[DtmfEvent] = asyncio.Queue()
    async with DtmfListener(rtpengine.dtmf_address, events.put_nowait) as listener:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            sock.bind((rtpengine.topo.control_plane.address, 0))
            call_id = f"t-{uuid.uuid4().hex}"
            caller = caller_sdp(*sock.getsockname())
            await ng.offer(call_id=call_id, from_tag="C", sdp=caller)
            # The caller talks to the port in the SDP it is answered with.
            answered = await ng.answer(call_id=call_id, from_tag="C", to_tag="B",
                                       sdp=placeholder_answer(caller))
            rtp = RtpSender(sock, (rtpengine.topo.rtpengine.address, media_port(answered.sdp)))
            rtp.pcmu(5)  # latch, then the digits: RTPengine reports each when it ends
            rtp.digit(11)
            rtp.pcmu(2)
            rtp.digit(4)
            rtp.pcmu(2)
            first = await asyncio.wait_for(events.get(), 5)
            second = await asyncio.wait_for(events.get(), 5)
        await ng.delete(call_id=call_id)
    assert (first.call_id, first.tag, first.digit) == (call_id, "C", "#")
    assert (second.call_id, second.tag, second.digit) == (call_id, "C", "4")
    assert first.duration_ms == 100  # 5 updates of 160 samples at 8 kHz
    assert listener.malformed == 0
