"""The no-call-lost ledger: calls a load generator placed against the province cores'
accounting and the call controller's CDRs, per Call-ID.

Inputs, each from where it really lives:
- placed calls: our own caller's Call-IDs (tests) or the ``placed|...`` lines a SIPp caller
  scenario logs (``loadtests/sipp/bench_caller.xml`` with ``-trace_logs``);
- accounting: the cores' ``acc_*.log`` files (Kamailio acc over db_flatstore, one pipe-
  separated line per initial INVITE with a final answer and per BYE; the column order is
  the cfg's: see ``ACC_COLUMNS``);
- CDRs: rows of the analytics ``cdr`` table (the caller passes them in: this module opens
  no database).

A placed call is *refused* when the tiers gave the caller a final error and no controller
took it (e.g. every core answered 503 No Call Controller: one record per core it tried, the
edge failing over between them); *lost* when it is not refused and has no INVITE accounted
toward a call controller or no CDR; *duplicated* when more than one INVITE was answered 2xx
or it has more than one CDR. Every mismatch carries its reason. Errors have stable ids
(``LEDGER_*``).
"""

from __future__ import annotations

import argparse
import json
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path

# The acc core columns, then the cfg's db_extra, in the order flatstore writes them.
ACC_COLUMNS = ("method", "from_tag", "to_tag", "call_id", "sip_code", "sip_reason", "time",
               "src_user", "dst_user", "ruri_user", "src_ip", "dst_set", "next_hop",
               "t_request", "t_final", "node")


class LedgerError(ValueError):
    """An input cannot be read; the message starts with a stable error id."""


@dataclass(frozen=True)
class AccRecord:
    """One accounting line of a province core."""

    method: str
    call_id: str
    sip_code: int
    sip_reason: str
    src_user: str
    dst_user: str
    src_ip: str
    dst_set: str
    next_hop: str
    t_request: float
    t_final: float
    node: str
    from_tag: str = ""
    to_tag: str = ""


@dataclass(frozen=True)
class CdrRow:
    """The fields of a controller CDR the ledger needs."""

    call_id: str
    hangup_cause: str
    sip_code: int = 0
    queue: str = ""
    agent: str = ""


def _float(value: str) -> float:
    try:
        return float(value)
    except ValueError:
        return 0.0


def parse_acc_line(line: str, where: str) -> AccRecord:
    """One flatstore line; LedgerError (LEDGER_BAD_ACC_LINE) when it is not ours."""
    parts = line.rstrip("\n").split("|")
    if len(parts) != len(ACC_COLUMNS):
        raise LedgerError(f"LEDGER_BAD_ACC_LINE: {where}: {len(parts)} fields, expected "
                          f"{len(ACC_COLUMNS)} ({'|'.join(ACC_COLUMNS)}): {line[:200]!r}")
    row = dict(zip(ACC_COLUMNS, parts, strict=True))
    try:
        code = int(row["sip_code"])
    except ValueError as exc:
        raise LedgerError(f"LEDGER_BAD_ACC_LINE: {where}: sip_code {row['sip_code']!r} "
                          "is not a number") from exc
    return AccRecord(
        method=row["method"], call_id=row["call_id"], sip_code=code,
        sip_reason=row["sip_reason"], src_user=row["src_user"], dst_user=row["dst_user"],
        src_ip=row["src_ip"], dst_set=row["dst_set"], next_hop=row["next_hop"],
        t_request=_float(row["t_request"]), t_final=_float(row["t_final"]), node=row["node"],
        from_tag=row["from_tag"], to_tag=row["to_tag"],
    )


def read_acc(directories: Iterable[Path]) -> list[AccRecord]:
    """Every record in the ``acc_*.log`` files of the given core run dirs.

    A missing directory is an error (LEDGER_NO_ACC_DIR): an empty ledger must not pass for
    a clean one. A core that accounted nothing yet has no file, which is fine.
    """
    records: list[AccRecord] = []
    for directory in directories:
        if not directory.is_dir():
            raise LedgerError(f"LEDGER_NO_ACC_DIR: {directory} is not a core's run dir")
        for path in sorted(directory.glob("acc_*.log")):
            text = path.read_text(encoding="utf-8", errors="replace")
            for number, line in enumerate(text.splitlines(), 1):
                if line.strip():
                    records.append(parse_acc_line(line, f"{path}:{number}"))
    return records


@dataclass(frozen=True)
class SippLine:
    """One line a benchmark SIPp scenario logged (``kind|call-id|user|seconds|micros``)."""

    kind: str
    call_id: str
    user: str
    at: float


def read_sipp_logs(log_files: Iterable[Path], kind: str) -> list[SippLine]:
    """The ``kind`` lines (``placed`` by callers, ``ring`` by seats) of SIPp ``-trace_logs``
    files. SIPp prints variables as doubles and a From match as ``sip:<user>@``."""
    lines: list[SippLine] = []
    for path in log_files:
        for raw in path.read_text(encoding="utf-8", errors="replace").splitlines():
            parts = raw.strip().split("|")
            if parts[0] != kind:
                continue
            if len(parts) != 5 or not parts[1]:
                raise LedgerError(f"LEDGER_BAD_SIPP_LOG: {path}: {raw[:200]!r}")
            user = parts[2].removeprefix("sip:").removesuffix("@")
            lines.append(SippLine(kind, parts[1], user,
                                  _float(parts[3]) + _float(parts[4]) / 1e6))
    return lines


def sipp_placed(log_files: Iterable[Path]) -> dict[str, SippLine]:
    """``{Call-ID: its placed line}`` from SIPp caller logs."""
    return {line.call_id: line for line in read_sipp_logs(log_files, "placed")}


@dataclass
class CallLedger:
    """What was found for one placed call."""

    call_id: str
    acc_invites: list[str] = field(default_factory=list)  # "node:code reason" per record
    acc_byes: int = 0
    cdrs: list[str] = field(default_factory=list)  # hangup cause per CDR
    reasons: list[str] = field(default_factory=list)
    mismatched: bool = False  # the core and the CDR disagree on whether it was answered
    answered: int = 0  # INVITE records answered 2xx
    refused: bool = False  # a final error from the tiers, no controller took it


@dataclass
class LedgerReport:
    """The ledger of one run: totals and the reasons for every mismatch."""

    placed: int
    in_acc: int
    in_cdr: int
    refused: int
    lost: int
    duplicated: int
    answered_without_bye: int
    mismatched: int
    not_placed: list[str]
    problems: dict[str, list[str]]

    def summary(self) -> dict[str, object]:
        """The figures, how often each reason occurred and up to 10 problem calls, for
        JSON output."""
        out = asdict(self)
        out["reasons"] = dict(Counter(r.split(";")[0] for rs in self.problems.values()
                                      for r in rs).most_common())
        out["problems"] = dict(list(self.problems.items())[:10])
        out["not_placed"] = self.not_placed[:10]
        return out


def _controller_invites(acc: Iterable[AccRecord]) -> dict[str, list[AccRecord]]:
    found: dict[str, list[AccRecord]] = defaultdict(list)
    for record in acc:
        if record.method == "INVITE" and record.dst_set == "controller":
            found[record.call_id].append(record)
    return found


def reconcile(placed: Iterable[str], acc: Iterable[AccRecord],
              cdrs: Iterable[CdrRow]) -> LedgerReport:
    """Compare the three sources per Call-ID (see the module docstring)."""
    acc = list(acc)
    invites = _controller_invites(acc)
    byes = Counter(r.call_id for r in acc if r.method == "BYE" and r.sip_code < 300)
    by_call: dict[str, list[CdrRow]] = defaultdict(list)
    for cdr in cdrs:
        by_call[cdr.call_id].append(cdr)
    placed_ids = list(dict.fromkeys(placed))
    calls = {cid: _one(cid, invites.get(cid, []), byes[cid], by_call.get(cid, []))
             for cid in placed_ids}
    refused = {cid for cid, c in calls.items() if c.refused}
    lost = sum(1 for cid, c in calls.items()
               if cid not in refused and (not c.acc_invites or not c.cdrs))
    duplicated = sum(1 for c in calls.values() if c.answered > 1 or len(c.cdrs) > 1)
    open_dialogs = sum(1 for c in calls.values()
                       if any(":200 " in i for i in c.acc_invites) and c.acc_byes == 0)
    known = set(placed_ids)
    strangers = sorted((set(invites) | set(by_call)) - known)
    return LedgerReport(
        placed=len(placed_ids),
        in_acc=sum(1 for c in calls.values() if c.acc_invites),
        in_cdr=sum(1 for c in calls.values() if c.cdrs), refused=len(refused),
        lost=lost, duplicated=duplicated, answered_without_bye=open_dialogs,
        mismatched=sum(1 for c in calls.values() if c.mismatched),
        not_placed=strangers,
        problems={cid: c.reasons for cid, c in calls.items() if c.reasons},
    )


def _one(call_id: str, invites: list[AccRecord], byes: int, cdrs: list[CdrRow]) -> CallLedger:
    call = CallLedger(call_id, [f"{r.node}:{r.sip_code} {r.sip_reason}" for r in invites],
                      byes, [c.hangup_cause for c in cdrs])
    call.answered = sum(1 for r in invites if 200 <= r.sip_code < 300)
    call.refused = bool(invites) and not cdrs and call.answered == 0
    if not invites:
        call.reasons.append("no INVITE toward a call controller in the cores' accounting "
                            "(never reached a core, refused before relaying, or no final "
                            "answer yet)")
    elif call.answered > 1:
        call.reasons.append(f"{call.answered} INVITEs answered: {call.acc_invites}")
    if not cdrs:
        codes = {r.sip_code for r in invites}
        refused = sorted(c for c in codes if c >= 300)
        if refused:
            call.reasons.append(f"no CDR; the INVITE was refused with {refused} "
                                f"({'; '.join(call.acc_invites)})")
        else:
            call.reasons.append("no CDR from the call controller")
    elif len(cdrs) > 1:
        call.reasons.append(f"{len(cdrs)} CDRs: {call.cdrs}")
    elif not cdrs[0].hangup_cause:
        call.reasons.append("CDR without a terminal cause")
    if invites and len(cdrs) == 1 and (call.answered > 0) != (cdrs[0].sip_code == 200):
        # e.g. the core gave up on a slow controller (408) that answered afterwards.
        call.mismatched = True
        call.reasons.append(f"the cores' final answers were {call.acc_invites}, the CDR "
                            f"says {cdrs[0].sip_code}")
    if any(r.sip_code == 200 for r in invites) and byes == 0:
        call.reasons.append("answered but no BYE accounted (dialog still up?)")
    return call


def controller_added_ms(acc: Iterable[AccRecord], controllers: Iterable[str]) -> list[float]:
    """Per call, the time from the caller's INVITE reaching a core (on its way to a
    controller) to the controller's first agent INVITE reaching a core, in ms.

    Both timestamps are the cores' own clocks on one machine; the agent leg is matched by
    the caller's number, which the controller puts in the agent leg's From (unique per call
    in the benchmark's scenario).
    """
    ctl = set(controllers)
    first_in: dict[str, float] = {}
    first_out: dict[str, float] = {}
    for r in acc:
        if r.method != "INVITE":
            continue
        if r.dst_set == "controller":
            first_in[r.src_user] = min(first_in.get(r.src_user, r.t_request), r.t_request)
        elif r.src_ip in ctl:
            first_out[r.src_user] = min(first_out.get(r.src_user, r.t_request), r.t_request)
    return sorted((first_out[u] - first_in[u]) * 1000 for u in first_in
                  if u in first_out and first_out[u] >= first_in[u])


def setup_ms(placed: Iterable[SippLine], rings: Iterable[SippLine]) -> dict[str, float]:
    """``{caller number: ms from the caller's INVITE leaving to the first agent INVITE
    reaching a seat}``, matched by the caller's number (placed lines without a ring are
    left out: the caller gives the count of those)."""
    first: dict[str, float] = {}
    for ring in rings:
        first[ring.user] = min(first.get(ring.user, ring.at), ring.at)
    return {p.user: (first[p.user] - p.at) * 1000 for p in placed if p.user in first}


def percentile(values: list[float], share: float) -> float:
    """The ``share`` quantile (nearest rank) of sorted or unsorted ``values``; 0 if empty."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))]


def main() -> None:
    """``python -m loadtests.ledger --sipp-log F --acc-dir D --cdr-jsonl F``: print the
    ledger as one JSON object (CDRs as JSON lines with call_id and hangup_cause)."""
    parser = argparse.ArgumentParser(description="the no-call-lost ledger of one run")
    parser.add_argument("--sipp-log", type=Path, action="append", required=True)
    parser.add_argument("--acc-dir", type=Path, action="append", required=True)
    parser.add_argument("--cdr-jsonl", type=Path, required=True)
    args = parser.parse_args()
    cdrs = []
    for line in args.cdr_jsonl.read_text(encoding="utf-8").splitlines():
        if line.strip():
            row = json.loads(line)
            cdrs.append(CdrRow(str(row["call_id"]), str(row.get("hangup_cause", "")),
                               int(row.get("sip_code", 0))))
    report = reconcile(sipp_placed(args.sipp_log), read_acc(args.acc_dir), cdrs)
    print(json.dumps(report.summary()))
    if report.lost or report.duplicated:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
