"""The Contact a controller gives its dialogs when replicas share a center:
``<sip:cc-KEY@CORE_PAIR_HOST;ctl=IP:PORT>``.

KEY names the caller's session (every leg of one call shares it), so the cores send every
later request of the call to the same replica: the one ``ctl`` names while it lives, then
one chosen by KEY among the live ones (kamailio.cfg, route[TO_CONTROLLER_DIALOG]). The
host is the province pair's name, so in-dialog requests always pass a live core.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable

from control_plane.sipstack.uri import Params, SipUri

PREFIX = "cc-"


def session_key(call_id: str) -> str:
    """A URI-safe, stable name of a caller's session (16 hex digits of its Call-ID)."""
    return hashlib.sha256(call_id.encode()).hexdigest()[:16]


def shared_contact(*, core_host: str, replica: tuple[str, int]) -> Callable[[str], SipUri]:
    """Contact URIs of this replica's dialogs, by the caller's Call-ID."""
    ctl = f"{replica[0]}:{replica[1]}"

    def contact(call_id: str) -> SipUri:
        return SipUri(host=core_host, user=PREFIX + session_key(call_id),
                      params=Params((("ctl", ctl),)))

    return contact
