"""``python -m analytics.prometheus render --topology demo.toml [--out prometheus.yml]``.

Errors go to stderr as ``error[<id>]: <message>`` with exit status 2; the ids are stable:
``prometheus.topology_invalid``, ``prometheus.output_unwritable``.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from analytics.prometheus.scrape import RULES_FILE, render_config
from control_plane.topology.model import TopologyError, load_topology


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m analytics.prometheus")
    sub = parser.add_subparsers(dest="command", required=True)
    render = sub.add_parser("render", help="write prometheus.yml for a topology")
    render.add_argument("--topology", type=Path, required=True, help="topology TOML file")
    render.add_argument("--out", type=Path, help="output file (default: stdout)")
    render.add_argument("--scrape-interval", default="15s")
    render.add_argument("--evaluation-interval", default="15s")
    render.add_argument("--rules", action="append", default=None,
                        help=f"rule file(s) to load (default: {RULES_FILE})")
    render.add_argument("--alertmanager", action="append", default=[],
                        help="host:port of an Alertmanager (repeatable)")
    return parser


def _fail(error_id: str, message: str) -> int:
    print(f"error[{error_id}]: {message}", file=sys.stderr)
    return 2


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; the exit status."""
    args = _parser().parse_args(argv)
    try:
        topo = load_topology(args.topology)
    except TopologyError as exc:
        return _fail("prometheus.topology_invalid", str(exc))
    rules = tuple(str(Path(r).resolve()) for r in args.rules) if args.rules \
        else (str(RULES_FILE),)
    text = render_config(topo, scrape_interval=args.scrape_interval,
                         evaluation_interval=args.evaluation_interval, rule_files=rules,
                         alertmanagers=tuple(args.alertmanager))
    if args.out is None:
        sys.stdout.write(text)
        return 0
    try:
        args.out.write_text(text, encoding="utf-8")
    except OSError as exc:
        return _fail("prometheus.output_unwritable", f"cannot write {args.out}: {exc}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
