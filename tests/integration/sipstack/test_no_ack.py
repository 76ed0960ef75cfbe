"""A 2xx that is never ACKed: retransmitted, then the dialog is hung up (RFC 3261 §13.3.1.4)."""

from __future__ import annotations

import asyncio

from control_plane.sipstack.message import SipRequest, SipResponse
from control_plane.sipstack.parse import parse_message
from control_plane.sipstack.timers import TimerConfig
from control_plane.sipstack.ua import UserAgent

from .helpers import AnsweringHandler, loopback_host
from .test_torture_listener import Collector


async def test_unacked_2xx_is_retransmitted_then_hung_up() -> None:
    handler = AnsweringHandler()
    fast = TimerConfig(t1=0.02, t2=0.08, t4=0.1)  # 64*T1 = 1.28 s
    ua = UserAgent(loopback_host(), 0, handler=handler, timers=fast)
    await ua.start()
    loop = asyncio.get_running_loop()
    host = loopback_host()
    client, collector = await loop.create_datagram_endpoint(Collector, local_addr=(host, 0))
    port = client.get_extra_info("sockname")[1]
    try:
        invite = (
            f"INVITE sip:bob@{ua.transport.host}:{ua.transport.port} SIP/2.0\r\n"
            f"Via: SIP/2.0/UDP {host}:{port};branch=z9hG4bKnoack\r\n"
            "From: <sip:alice@example.com>;tag=a\r\nTo: <sip:bob@example.com>\r\n"
            f"Call-ID: no-ack-1\r\nCSeq: 1 INVITE\r\nContact: <sip:alice@{host}:{port}>\r\n"
            "Max-Forwards: 70\r\nContent-Length: 0\r\n\r\n"
        ).encode()
        client.sendto(invite, (ua.transport.host, ua.transport.port))
        await collector.until(lambda got: any(data.startswith(b"BYE ") for data in got))
        messages = [parse_message(data) for data in collector.received]
        oks = [m for m in messages if isinstance(m, SipResponse) and m.status == 200]
        byes = [m for m in messages if isinstance(m, SipRequest) and m.method == "BYE"]
        assert len(oks) >= 5  # the 2xx kept coming while no ACK arrived
        assert len(byes) >= 1 and byes[0].call_id == "no-ack-1"
        assert byes[0].to.tag == "a" and byes[0].from_.tag == oks[0].to.tag
        assert handler.ended == ["no-ack"] and ua.dialogs == {}
    finally:
        client.close()
        await ua.close()
