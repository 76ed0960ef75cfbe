"""``python -m control_plane.db upgrade|downgrade|current --url URL``: run the migrations.

Exit status 0 on success, 2 on bad arguments, 1 when the migration fails (the reason is
printed to stderr with its error id).
"""

from __future__ import annotations

import argparse
import sys

from control_plane.db.errors import DbError
from control_plane.db.migrate import current, downgrade, head_revision, upgrade


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m control_plane.db", description="Migrate the configuration database."
    )
    sub = parser.add_subparsers(dest="command", required=True)
    up = sub.add_parser("upgrade", help="migrate up (default: to the newest revision)")
    up.add_argument("revision", nargs="?", default="head")
    down = sub.add_parser("downgrade", help="migrate down to REVISION ('base': empty)")
    down.add_argument("revision")
    sub.add_parser("current", help="print the database's revision ('none' if unmigrated)")
    sub.add_parser("heads", help="print the newest revision this package ships")
    for command in sub.choices.values():
        command.add_argument(
            "--url", required=command.prog.split()[-1] != "heads",
            help="SQLAlchemy URL, e.g. sqlite:////var/lib/callcenter/callcenter.sqlite or "
            "postgresql+psycopg://user@host/db",
        )
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run one migration command; the process exit status."""
    args = _parser().parse_args(argv)
    try:
        if args.command == "upgrade":
            upgrade(args.url, args.revision)
            print(current(args.url))
        elif args.command == "downgrade":
            downgrade(args.url, args.revision)
            print(current(args.url) or "none")
        elif args.command == "current":
            print(current(args.url) or "none")
        else:
            print(head_revision())
    except DbError as exc:
        print(f"error {exc.error_id}: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
