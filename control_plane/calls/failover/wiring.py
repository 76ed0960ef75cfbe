"""Puts a controller service in active/standby mode on a Redis store (see takeover.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import structlog

from control_plane.acd_store.redis_store import RedisAcdStore
from control_plane.calls.failover.contact import shared_contact
from control_plane.calls.failover.journal import JournaledDriver
from control_plane.calls.failover.redis_sessions import RedisSessionStore
from control_plane.calls.failover.takeover import ReplicaRole
from control_plane.topology.model import ControlPlaneNode

if TYPE_CHECKING:
    from control_plane.calls.service import CallControllerService

NAMESPACE = "cc"
log = structlog.get_logger(__name__)


def start_role(service: CallControllerService, me: ControlPlaneNode,
               redis_url: str) -> ReplicaRole:
    """Dialogs name the core pair, the ACD is journaled, calls are kept; this replica
    stands by until it holds the center's lease."""
    assert service.ua is not None and service.dtmf is not None
    controller = service.controller
    controller.shared_contact = shared_contact(core_host=service.topology.core_pair_host,
                                               replica=(me.address, me.sip_port))
    service.ua.contact_for = controller.contact_for
    dtmf = service.dtmf

    async def install(driver: JournaledDriver) -> None:
        if service.driver is not None:
            driver.observers.extend(service.driver.observers)
            service.driver.close()
        service.driver = driver
        ctx = controller.ctx
        assert ctx is not None
        ctx.acd = driver
        service.configure_acd()
        # RTPengine reports digits to the center's DTMF address; the active replica owns it
        # (on one host the kernel frees it when the old owner dies; across hosts keepalived
        # moves the address).
        try:
            await dtmf.start()
        except OSError as exc:  # the address is not (yet) on this host: calls go on
            log.error("center's DTMF address not bindable here; IVR digits wait for it",
                      address=dtmf.address, error=str(exc))

    role = ReplicaRole(controller=controller,
                       store=RedisAcdStore.from_url(redis_url, namespace=f"{NAMESPACE}-acd"),
                       sessions=RedisSessionStore.from_url(redis_url, namespace=NAMESPACE),
                       replica_id=me.name, install=install, decided=service._decided,
                       ttl_s=service.settings.lease_ttl_s)
    role.start()
    return role
