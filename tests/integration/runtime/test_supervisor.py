"""The supervisor with real processes: clear failures, no process left behind."""

from __future__ import annotations

import os
import socket
import sys
from pathlib import Path

import pytest

from control_plane.runtime.supervisor import (
    DaemonSpec,
    DaemonStartError,
    MissingBinaryError,
    PortClaim,
    PortInUseError,
    Supervisor,
)
from tests.support import free_prefix


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


def _spec(tmp: Path, argv: tuple[str, ...], ready=lambda: None, **kw) -> DaemonSpec:
    return DaemonSpec(name="d1", kind="test", argv=argv, directory=tmp, ready=ready, **kw)


def test_daemon_exiting_at_start_is_named_with_command_and_log(tmp_path: Path) -> None:
    sup = Supervisor(ready_timeout=5)
    spec = _spec(tmp_path, ("sh", "-c", "echo boom-at-start; exit 3"),
                 ready=lambda: "not yet")
    with pytest.raises(DaemonStartError) as err:
        sup.start(spec)
    text = str(err.value)
    assert text.startswith("test d1 exited at start with code 3")
    assert "command: sh -c echo boom-at-start; exit 3" in text
    assert "boom-at-start" in text


def test_daemon_never_ready_is_stopped_with_the_probe_reason(tmp_path: Path) -> None:
    sup = Supervisor(ready_timeout=1, stop_grace=1)
    spec = _spec(tmp_path, ("sleep", "300"), ready=lambda: "probe says warming up")
    with pytest.raises(DaemonStartError, match="not ready after 1s \\(probe says warming up\\)"):
        sup.start(spec)
    assert not _group_alive(sup.daemons[0].pid)


def test_port_already_taken_is_one_clear_line(tmp_path: Path) -> None:
    addr = f"{free_prefix()}.1"
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as holder:
        holder.bind((addr, 5060))
        spec = _spec(tmp_path, ("sleep", "1"), ports=(PortClaim("udp", addr, 5060),))
        with pytest.raises(PortInUseError) as err:
            Supervisor().start(spec)
    assert str(err.value) == f"test d1: {addr}:5060/udp is already in use by another process"


def test_missing_program_names_its_debian_package(tmp_path: Path) -> None:
    spec = _spec(tmp_path, ("no-such-daemon-xyz",), package="no-such-package")
    with pytest.raises(MissingBinaryError, match="Debian package no-such-package"):
        Supervisor().start(spec)


def test_stop_kills_the_whole_group_even_when_term_is_ignored(tmp_path: Path) -> None:
    # A parent that ignores SIGTERM with a child: like Kamailio's forked workers.
    script = (
        "import signal, subprocess, time\n"
        "signal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
        "subprocess.Popen(['sleep', '300'])\n"
        "time.sleep(300)\n"
    )
    sup = Supervisor(stop_grace=0.5)
    daemon = sup.start(_spec(tmp_path, (sys.executable, "-c", script)))
    assert _group_alive(daemon.pid)
    sup.stop_all()
    assert not _group_alive(daemon.pid)
    assert sup.daemons == []


def test_start_all_stops_earlier_daemons_when_a_later_one_fails(tmp_path: Path) -> None:
    sup = Supervisor(ready_timeout=2)
    first = _spec(tmp_path / "a", ("sleep", "300"))
    second = DaemonSpec(name="d2", kind="test", argv=("false",), directory=tmp_path / "b",
                        ready=lambda: "never")
    with pytest.raises(DaemonStartError, match="test d2 exited at start"):
        sup.start_all([first, second])
    assert sup.daemons == []


def test_kamailio_with_a_broken_cfg_reports_its_own_error(tmp_path: Path) -> None:
    cfg = tmp_path / "node.cfg"
    cfg.write_text('#!KAMAILIO\nloadmodule "no_such_module.so"\n')
    spec = DaemonSpec(
        name="broken", kind="kamailio",
        argv=("kamailio", "-f", str(cfg), "-DD", "-E", "-Y", str(tmp_path), "-P",
              str(tmp_path / "k.pid")),
        directory=tmp_path, ready=lambda: "not answering", package="kamailio",
    )
    with pytest.raises(DaemonStartError) as err:
        Supervisor(ready_timeout=10).start(spec)
    assert "kamailio broken exited at start" in str(err.value)
    assert "no_such_module" in str(err.value)
