"""The control plane's view of registered seats, fed by registrar events and dumps.

Pure: events and ``ul.dump`` results go in, the seat list comes out. Applying the same
event twice, or an event the last dump already reflected, changes nothing; that is what
lets the presence service subscribe first, dump second, and replay what arrived between.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

ADDING_EVENTS = frozenset({"seat.registered", "seat.refreshed"})
REMOVING_EVENTS = frozenset({"seat.unregistered", "seat.expired"})


class PresenceEventError(ValueError):
    """An event from the registrar cannot be understood; the message says why."""


@dataclass(frozen=True, slots=True)
class Seat:
    """One registered contact of a seat (a seat may have several devices)."""

    aor: str
    contact: str
    path: str
    edge: str
    user_agent: str
    core: str


def normalize_aor(aor: str) -> str:
    """``sip:user@domain;params`` and ``user@domain`` name the same seat."""
    aor = aor.strip().strip("<>")
    if aor.startswith(("sip:", "sips:")):
        aor = aor.split(":", 1)[1]
    return aor.split(";", 1)[0]


def first_hop_edge(path: str, edge_names: Mapping[str, str]) -> str:
    """The edge a seat registered through: the host of the last Path entry, by node name."""
    entries = [p.strip() for p in path.split(",") if p.strip()]
    if not entries:
        return ""
    last = entries[-1].strip("<>").split(";", 1)[0]
    host = last.split(":", 1)[1] if last.startswith("sip:") else last
    host = host.split("@")[-1].split(":")[0].rstrip(">")
    return edge_names.get(host, host)


class SeatRegistry:
    """Registered seats keyed by (AoR, contact)."""

    def __init__(self, edge_names: Mapping[str, str] | None = None) -> None:
        self._edge_names = dict(edge_names or {})
        self._seats: dict[tuple[str, str], Seat] = {}
        # Told the registered AoRs after every change (the call controller's ACD listens).
        self.on_change: Callable[[frozenset[str]], None] | None = None

    def aors(self) -> frozenset[str]:
        """Every AoR with at least one registered contact."""
        return frozenset(aor for aor, _ in self._seats)

    def _changed(self) -> None:
        if self.on_change is not None:
            self.on_change(self.aors())

    def __len__(self) -> int:
        return len(self._seats)

    def seats(self) -> list[Seat]:
        """Every registered contact, ordered by AoR then contact."""
        return [self._seats[k] for k in sorted(self._seats)]

    def apply(self, event: Mapping[str, Any]) -> bool:
        """Apply one registrar event; True when the seat list changed."""
        kind = event.get("event")
        try:
            aor = normalize_aor(str(event["aor"]))
            contact = str(event["contact"])
        except KeyError as exc:
            raise PresenceEventError(f"{kind} event without {exc.args[0]!r}") from exc
        key = (aor, contact)
        if kind in ADDING_EVENTS:
            path = str(event.get("path", ""))
            seat = Seat(aor, contact, path, first_hop_edge(path, self._edge_names),
                        str(event.get("user_agent", "")), str(event.get("node", "")))
            changed = self._seats.get(key) != seat
            self._seats[key] = seat
            if changed:
                self._changed()
            return changed
        if kind in REMOVING_EVENTS:
            if contact in ("", "*"):
                before = len(self._seats)
                self._seats = {k: v for k, v in self._seats.items() if k[0] != aor}
                removed = len(self._seats) != before
            else:
                removed = self._seats.pop(key, None) is not None
            if removed:
                self._changed()
            return removed
        raise PresenceEventError(f"unknown presence event {kind!r}")

    def replace_from_dump(self, dump: Mapping[str, Any], core: str) -> None:
        """Make the seat list exactly what a registrar's ``ul.dump`` reports."""
        self._seats = {(s.aor, s.contact): s for s in self._parse_dump(dump, core)}
        self._changed()

    def _parse_dump(self, dump: Mapping[str, Any], core: str) -> Iterable[Seat]:
        for domain in dump.get("Domains", []):
            for aor_entry in domain.get("Domain", {}).get("AoRs", []):
                info = aor_entry["Info"]
                aor = normalize_aor(info["AoR"])
                for item in info.get("Contacts", []):
                    contact = item["Contact"]
                    path = str(contact.get("Path", ""))
                    yield Seat(aor, str(contact["Address"]), path,
                               first_hop_edge(path, self._edge_names),
                               str(contact.get("User-Agent", "")), core)
