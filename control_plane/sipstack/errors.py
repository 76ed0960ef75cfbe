"""The one exception type the parser raises, so callers never see anything else."""

from __future__ import annotations


class SipParseError(ValueError):
    """A SIP message (or one of its parts) that breaks RFC 3261 grammar or rules.

    `reason` is short and fit for a reason phrase ("Bad CSeq: not a number"), and
    `status` is what a UAS should answer a request with: 400 by default, 505 for an
    unsupported SIP version, 416 for a URI scheme we cannot handle.
    """

    def __init__(self, reason: str, status: int = 400) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status

    def __repr__(self) -> str:
        return f"SipParseError({self.reason!r}, status={self.status})"
