"""Builds the call controller of a control-plane process from its settings (used by the
composition root's cleanup context)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from analytics.sink import EventSink
from analytics.sink.backend import AnalyticsBackend
from control_plane.calls.analytics_records import SinkRecords
from control_plane.calls.center import CenterConfig, CenterConfigError, load_center
from control_plane.calls.context import Notifier, Webhook
from control_plane.calls.service import CallControllerService, ControllerSettings
from control_plane.events.bus import EventBus
from control_plane.ivr.prompts import PromptError, build_prompts
from control_plane.recordings.converter import RecordingConverter
from control_plane.runtime.metrics import ControlPlaneMetrics
from control_plane.runtime.settings import Settings
from control_plane.topology.model import Topology


class ControllerSetupError(RuntimeError):
    """The controller cannot start; the message says which file or tool is at fault."""


async def start_controller(settings: Settings, topology: Topology, backend: AnalyticsBackend, *,
                           metrics: ControlPlaneMetrics | None = None,
                           bus: EventBus | None = None, webhook: Webhook | None = None,
                           notify: Notifier | None = None,
                           ) -> tuple[CallControllerService, EventSink]:
    """Prompts built, center loaded, records sink started, controller listening."""
    calls = settings.calls
    try:
        prompts = build_prompts(calls.prompts_dir)
        center = load_center(calls.center, prompts=prompts.names())
    except (PromptError, CenterConfigError) as exc:
        raise ControllerSetupError(f"call controller: {exc}") from exc
    center = await asyncio.to_thread(_bind, settings, center)
    sink = EventSink(backend, Path(settings.runtime.run_dir) / "analytics" / "spool")
    await sink.start()
    recorder = None
    if calls.recordings_spool is not None:
        recorder = await asyncio.to_thread(_recorder, settings)
    service = CallControllerService(
        topology=topology, center=center, prompts=prompts, records=SinkRecords(sink),
        settings=ControllerSettings(max_calls=calls.max_calls,
                                    record_calls=calls.record_calls and recorder is not None,
                                    replica=calls.replica,
                                    failover_redis_url=calls.failover_redis_url,
                                    lease_ttl_s=calls.lease_ttl_seconds),
        metrics=metrics, recorder=recorder, bus=bus, webhook=webhook, notify=notify,
    )
    try:
        await service.start()
    except OSError as exc:
        await sink.close()
        raise ControllerSetupError(f"call controller cannot bind its sockets: {exc}") from exc
    return service, sink


def _recorder(settings: Settings) -> RecordingConverter:
    """The recordings converter, indexing into the configuration database (the center's
    tenants are already there: `_bind` seeded them)."""
    from control_plane.db.engine import make_engine
    from control_plane.db.repos.recordings_repo import SqlRecordings

    engine = make_engine(settings.database.url)
    run_dir = Path(settings.runtime.run_dir)
    assert settings.calls.recordings_spool is not None
    return RecordingConverter(spool_dir=settings.calls.recordings_spool,
                              recordings_root=run_dir / "recordings",
                              voicemail_root=run_dir / "voicemail",
                              index=SqlRecordings(engine))


def _bind(settings: Settings, center: CenterConfig) -> CenterConfig:
    """The center seeded into the configuration database, agents named by their ids."""
    from control_plane.calls.center_db import bound_to_database
    from control_plane.db.engine import make_engine

    engine = make_engine(settings.database.url)
    try:
        return bound_to_database(engine, center)
    except Exception as exc:  # a database the controller cannot use is a setup error
        raise ControllerSetupError(f"call controller: configuration database: {exc}") from exc
    finally:
        engine.dispose()
