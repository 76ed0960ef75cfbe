"""``python -m analytics.grafana render [--out FILE]``: write the dashboard JSON."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from analytics.grafana.dashboard import DASHBOARD_FILE, render


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; the exit status (2 with ``error[grafana.output_unwritable]``)."""
    parser = argparse.ArgumentParser(prog="python -m analytics.grafana")
    sub = parser.add_subparsers(dest="command", required=True)
    cmd = sub.add_parser("render", help="write the importable dashboard JSON")
    cmd.add_argument("--out", type=Path, default=DASHBOARD_FILE,
                     help=f"output file (default: {DASHBOARD_FILE}); '-' for stdout")
    args = parser.parse_args(argv)
    if str(args.out) == "-":
        sys.stdout.write(render())
        return 0
    try:
        args.out.write_text(render(), encoding="utf-8")
    except OSError as exc:
        print(f"error[grafana.output_unwritable]: cannot write {args.out}: {exc}",
              file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
