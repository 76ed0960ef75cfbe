"""Our RFC 3261 SIP stack, standalone like a library (DESIGN.md §5, §11).

Layers, bottom up: `parse`/`message` (strict parse and build), `transaction` (the four
§17 state machines behind a Clock), `dialog` (§12), `transport` (UDP/TCP on asyncio) and
`ua.UserAgent`, the façade an application drives through a `Handler`. It knows nothing
of calls, queues or RTPengine.
"""

from control_plane.sipstack.dialog import Dialog, DialogId, DialogState
from control_plane.sipstack.errors import SipParseError
from control_plane.sipstack.exchange import Handler, IncomingRequest, OutgoingInvite
from control_plane.sipstack.headers import Address, CSeq, Via
from control_plane.sipstack.message import SipMessage, SipRequest, SipResponse, make_response
from control_plane.sipstack.parse import parse_message
from control_plane.sipstack.peer import Peer
from control_plane.sipstack.timers import TimerConfig
from control_plane.sipstack.ua import UserAgent
from control_plane.sipstack.uri import AbsoluteUri, Params, SipUri, parse_uri

__all__ = [
    "AbsoluteUri", "Address", "CSeq", "Dialog", "DialogId", "DialogState", "Handler",
    "IncomingRequest", "OutgoingInvite", "Params", "Peer", "SipMessage", "SipParseError",
    "SipRequest", "SipResponse", "SipUri", "TimerConfig", "UserAgent", "Via",
    "make_response", "parse_message", "parse_uri",
]  # fmt: skip
