"""The ``callcenter`` command: run the demo stack, check its health, serve the control plane."""

from __future__ import annotations

import signal
import sys
import time
from pathlib import Path
from types import FrameType
from typing import Annotated

import typer

from control_plane.runtime.settings import Settings, SettingsError, load_settings
from control_plane.runtime.stack import Endpoint
from control_plane.runtime.supervisor import SupervisorError, stop_process_group
from control_plane.topology.model import Topology, TopologyError, load_topology
from control_plane.topology.render import RenderError

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="Distributed call center: demo stack, health, control plane.")

ConfigOption = Annotated[
    Path | None, typer.Option("--config", "-c", help="Settings file (TOML).")
]
RunDirOption = Annotated[
    Path | None, typer.Option("--run-dir", help="Where generated configs, logs, pids go.")
]


def _fail(message: str, code: int = 1) -> typer.Exit:
    typer.echo(f"callcenter: {message}", err=True)
    return typer.Exit(code)


def _settings(config: Path | None) -> Settings:
    try:
        return load_settings(config)
    except SettingsError as exc:
        raise _fail(str(exc), 2) from exc


def _topology(settings: Settings) -> Topology:
    try:
        return load_topology(settings.runtime.topology)
    except TopologyError as exc:
        raise _fail(str(exc), 2) from exc


def _raise_interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


@app.command()
def serve(config: ConfigOption = None) -> None:
    """Run one control-plane replica (HTTP API, /healthz, /metrics) in the foreground."""
    from aiohttp import web

    from control_plane.app import create_app
    from control_plane.runtime.logs import configure_logging

    settings = _settings(config)
    configure_logging(settings.log.level, settings.log.json_output)
    web.run_app(create_app(settings), host=settings.api.host, port=settings.api.port,
                print=None, handle_signals=True)


@app.command()
def demo(config: ConfigOption = None, run_dir: RunDirOption = None,
         traffic: Annotated[bool, typer.Option(help="Seats register in a loop.")] = True) -> None:
    """Start the whole center on this machine and keep it running until Ctrl-C/SIGTERM."""
    from control_plane.runtime.stack import Stack

    settings = _settings(config)
    topo = _topology(settings)
    stack = Stack(topo, run_dir or settings.runtime.run_dir, live_traffic=traffic)
    stack.supervisor.ready_timeout = settings.runtime.ready_timeout_seconds
    stack.supervisor.stop_grace = settings.runtime.stop_grace_seconds
    # Installed explicitly: a shell that starts us in the background hands us SIGINT
    # ignored, and Ctrl-C must still stop the stack.
    signal.signal(signal.SIGTERM, _raise_interrupt)
    signal.signal(signal.SIGINT, _raise_interrupt)
    code = 0
    try:
        endpoints = stack.start()
        typer.echo(f"call center running (run dir {stack.run_dir}):")
        for ep in endpoints:
            where = f"{ep.address}:{ep.port}" if ep.port else "-"
            typer.echo(f"  {ep.kind:<14} {ep.name:<14} {where:<22} pid {ep.pid:<7} {ep.log}")
        cp = topo.control_plane
        web = f"http://{cp.address}:{cp.port}"
        typer.echo(f"  API {web}/docs  metrics {web}/metrics")
        typer.echo(f"  agent desk {web}/desk/  wallboard {web}/desk/wallboard  BI {web}/bi/")
        typer.echo(f"  center numbers: dial {cp.center_numbers} through any edge "
                   f"(SIP {cp.address}:{cp.sip_port} is the call controller)")
        typer.echo(f"  log in as 'operator', password in {stack.run_dir / 'operator_password'};"
                   f" agents: {stack.run_dir / 'agent_passwords'}")
        typer.echo("Ctrl-C stops everything.")
        while True:
            dead = [d for d in stack.supervisor.daemons if not d.is_running()]
            if dead:
                names = ", ".join(d.spec.label for d in dead)
                typer.echo(f"callcenter: {names} exited; stopping the stack", err=True)
                code = 1
                break
            time.sleep(0.5)
    except KeyboardInterrupt:
        typer.echo("stopping...")
    except (SupervisorError, RenderError, OSError) as exc:
        typer.echo(f"callcenter: {exc}", err=True)
        code = 1
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        stack.stop()
    if code == 0:
        typer.echo("stopped; no process left.")
    raise typer.Exit(code)


def _running(settings: Settings, run_dir: Path | None) -> tuple[Path, list[Endpoint]]:
    """The run dir and what the stack running there recorded; exit 1 when none runs."""
    from control_plane.runtime.stack import read_state

    directory = run_dir or settings.runtime.run_dir
    try:
        return directory, read_state(directory)
    except FileNotFoundError as exc:
        raise _fail(f"no stack is running in {directory}") from exc


@app.command()
def status(config: ConfigOption = None, run_dir: RunDirOption = None) -> None:
    """Health of every node of a running stack; exit 0 only when all are healthy."""
    _, endpoints = _running(_settings(config), run_dir)
    unhealthy = 0
    for ep in endpoints:
        reason = ep.probe()
        if reason is not None:
            unhealthy += 1
        state = "ok" if reason is None else f"DOWN: {reason}"
        typer.echo(f"{ep.kind:<14} {ep.name:<14} {ep.address}:{ep.port:<6} {state}")
    typer.echo(f"{len(endpoints) - unhealthy}/{len(endpoints)} healthy")
    raise typer.Exit(1 if unhealthy else 0)


@app.command()
def stop(config: ConfigOption = None, run_dir: RunDirOption = None) -> None:
    """Stop a stack left running by another process (by the pids it recorded)."""
    from control_plane.runtime.stack import STATE_FILE

    settings = _settings(config)
    directory, endpoints = _running(settings, run_dir)
    for ep in reversed(endpoints):
        stop_process_group(ep.pid, settings.runtime.stop_grace_seconds)
    (directory / STATE_FILE).unlink(missing_ok=True)
    typer.echo(f"stopped {len(endpoints)} daemons")


# The simulator parses its own options (argparse), so every argument, --help included, is
# passed through untouched.
@app.command(context_settings={"allow_extra_args": True, "ignore_unknown_options": True},
             add_help_option=False)
def simulate(ctx: typer.Context) -> None:
    """Run the ACD simulator on synthetic traffic (see `callcenter simulate --help`)."""
    from control_plane.acd.sim.__main__ import main as simulate_main

    raise typer.Exit(simulate_main(ctx.args))


# The user commands parse their own options (argparse), like the simulator.
@app.command(context_settings={"allow_extra_args": True, "ignore_unknown_options": True},
             add_help_option=False)
def user(ctx: typer.Context) -> None:
    """Manage API users, e.g. `callcenter user create-user --role super_admin ...`."""
    from control_plane.auth.cli import main as user_main

    raise typer.Exit(user_main(ctx.args, prog="callcenter user"))


def main() -> None:
    """Entry point of the ``callcenter`` script."""
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)
