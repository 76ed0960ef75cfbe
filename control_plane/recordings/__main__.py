"""``python -m control_plane.recordings``: convert a capture by hand, or sweep the spool.

    python -m control_plane.recordings wav CAPTURE OUT.wav [--caller-port N]
    python -m control_plane.recordings sweep [--older-than SECONDS] [--config FILE]

``wav`` writes the stereo WAV of any capture (caller left: the packets sent to
``--caller-port``, else the port in its RTPengine metadata) and indexes nothing: for a
person looking at evidence. ``sweep`` converts and indexes the recordings no controller
converted, as the running center would (settings, topology and database from the usual
configuration). Exit status: 0 done, 1 a conversion refused (its error id on stderr),
2 bad arguments.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from control_plane.recordings.converter import convert_capture
from control_plane.recordings.errors import RecordingError


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m control_plane.recordings",
                                     description="Call recordings: captures to WAV.")
    sub = parser.add_subparsers(dest="command", required=True)
    wav = sub.add_parser("wav", help="a capture as a stereo WAV (caller left), not indexed")
    wav.add_argument("capture", type=Path)
    wav.add_argument("out", type=Path)
    wav.add_argument("--caller-port", type=int,
                     help="RTPengine's port the caller sent to (default: from metadata)")
    sweep = sub.add_parser("sweep", help="convert and index recordings no controller did")
    sweep.add_argument("--older-than", type=float, default=600.0,
                       help="only recordings finished this many seconds ago (default 600)")
    sweep.add_argument("--config", "-c", type=Path, help="settings file (TOML)")
    return parser


async def _sweep(config: Path | None, older_than: float) -> int:
    from control_plane.db.engine import make_engine
    from control_plane.db.repos.recordings_repo import SqlRecordings
    from control_plane.recordings.converter import RecordingConverter
    from control_plane.recordings.paths import recording_paths
    from control_plane.recordings.sweep import sweep
    from control_plane.runtime.settings import load_settings
    from control_plane.topology.model import load_topology

    settings = load_settings(config)
    topo = load_topology(settings.runtime.topology)
    paths = recording_paths(settings.runtime.run_dir, spool_dir=settings.calls.recordings_spool,
                            rtpengine_name=topo.rtpengine.name)
    engine = make_engine(settings.database.url)
    try:
        converter = RecordingConverter(
            spool_dir=paths.spool_dir, recordings_root=paths.recordings_root,
            voicemail_root=paths.voicemail_root, index=SqlRecordings(engine))
        report = await sweep(converter, older_than=older_than)
    finally:
        engine.dispose()
    for done in report.converted:
        print(f"converted {done.path} ({done.duration_seconds:.1f} s)")
    for error in report.failed:
        print(f"set aside: {error}", file=sys.stderr)
    return 1 if report.failed else 0


def main(argv: list[str] | None = None) -> int:
    """Run one command; the exit status."""
    args = _parser().parse_args(argv)
    try:
        if args.command == "wav":
            done = convert_capture(args.capture, args.out, caller_port=args.caller_port)
            print(f"{args.out}: {done.duration_seconds:.2f} s, caller {done.caller_packets} "
                  f"packets, agent {done.agent_packets} packets")
            return 0
        return asyncio.run(_sweep(args.config, args.older_than))
    except RecordingError as exc:
        print(str(exc), file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
