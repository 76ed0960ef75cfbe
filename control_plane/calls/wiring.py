"""Builds the call controller of a control-plane process from its settings (used by the
composition root's cleanup context)."""

from __future__ import annotations

from pathlib import Path

from analytics.sink import EventSink
from analytics.sink.backend import AnalyticsBackend
from control_plane.calls.analytics_records import SinkRecords
from control_plane.calls.center import CenterConfigError, load_center
from control_plane.calls.service import CallControllerService, ControllerSettings
from control_plane.ivr.prompts import PromptError, build_prompts
from control_plane.runtime.metrics import ControlPlaneMetrics
from control_plane.runtime.settings import Settings
from control_plane.topology.model import Topology


class ControllerSetupError(RuntimeError):
    """The controller cannot start; the message says which file or tool is at fault."""


async def start_controller(settings: Settings, topology: Topology, backend: AnalyticsBackend,
                           metrics: ControlPlaneMetrics | None = None,
                           ) -> tuple[CallControllerService, EventSink]:
    """Prompts built, center loaded, records sink started, controller listening."""
    calls = settings.calls
    try:
        prompts = build_prompts(calls.prompts_dir)
        center = load_center(calls.center, prompts=prompts.names())
    except (PromptError, CenterConfigError) as exc:
        raise ControllerSetupError(f"call controller: {exc}") from exc
    sink = EventSink(backend, Path(settings.runtime.run_dir) / "analytics" / "spool")
    await sink.start()
    service = CallControllerService(
        topology=topology, center=center, prompts=prompts, records=SinkRecords(sink),
        settings=ControllerSettings(max_calls=calls.max_calls), metrics=metrics,
    )
    try:
        await service.start()
    except OSError as exc:
        await sink.close()
        raise ControllerSetupError(f"call controller cannot bind its sockets: {exc}") from exc
    return service, sink
