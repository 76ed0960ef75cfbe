"""A request whose first hop is a host name that moves while it goes unanswered (the core
pair's name re-pointed at the live core) is sent once more through the new place."""

from __future__ import annotations

import asyncio

from control_plane.sipstack.peer import Peer
from control_plane.sipstack.timers import TimerConfig
from control_plane.sipstack.ua import UserAgent
from control_plane.sipstack.uri import SipUri

from .helpers import AnsweringHandler, free_port, loopback_host

FAST = TimerConfig(t1=0.02, t2=0.08, t4=0.1)  # a non-INVITE times out after 1.28 s


async def _pair() -> tuple[UserAgent, UserAgent, AnsweringHandler]:
    handler = AnsweringHandler()
    far = UserAgent(loopback_host(), 0, handler=handler, timers=FAST)
    near = UserAgent(loopback_host(), 0, timers=FAST)
    await far.start()
    await near.start()
    return near, far, handler


async def test_an_unanswered_request_goes_again_where_the_name_points_now() -> None:
    near, far, _ = await _pair()
    dead = loopback_host()
    near.hosts["core.test"] = Peer(dead, free_port(dead))  # nobody listens there
    try:
        request = near.new_request("INFO", SipUri(host="core.test", user="far"))
        answer = asyncio.ensure_future(near.request(request))
        await asyncio.sleep(0.2)
        near.hosts["core.test"] = Peer(far.transport.host, far.transport.port)  # it moved
        response = await asyncio.wait_for(answer, 10)
        assert response.status == 200
    finally:
        await near.close()
        await far.close()


async def test_a_name_that_did_not_move_is_not_retried() -> None:
    near, far, _ = await _pair()
    dead = loopback_host()
    near.hosts["core.test"] = Peer(dead, free_port(dead))
    try:
        request = near.new_request("INFO", SipUri(host="core.test", user="far"))
        response = await asyncio.wait_for(near.request(request), 10)
        assert response.status == 408  # one timeout, no second try to the same place
    finally:
        await near.close()
        await far.close()
