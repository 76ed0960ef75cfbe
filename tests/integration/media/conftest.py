"""A real RTPengine 10.5 for the media tests, started once per module by the supervisor."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from control_plane.media.ng import NgClient
from control_plane.runtime.stack import rtpengine_spec
from control_plane.runtime.supervisor import Supervisor
from control_plane.topology.addresses import free_prefix
from control_plane.topology.model import Topology, load_topology

DEMO = Path(__file__).resolve().parents[3] / "control_plane" / "topology" / "demo.toml"


@dataclass(frozen=True)
class Rtpengine:
    """Where the test RTPengine listens and where it reports DTMF."""

    topo: Topology
    run_dir: Path

    @property
    def ng_address(self) -> tuple[str, int]:
        return self.topo.rtpengine.address, self.topo.rtpengine.ng_port

    @property
    def dtmf_address(self) -> tuple[str, int]:
        # rtpengine_spec renders dtmf-log-dest as the control plane's port + 1.
        return self.topo.control_plane.address, self.topo.control_plane.port + 1

    @property
    def recordings(self) -> Path:
        return self.run_dir / self.topo.rtpengine.name / "recordings"


@pytest.fixture(scope="module")
def rtpengine() -> Iterator[Rtpengine]:
    # No skip when RTPengine is missing: the supervisor fails naming the Debian package,
    # and `make test` installs it, so a missing install step cannot pass unnoticed.
    topo = load_topology(DEMO).relocated(free_prefix())
    run_dir = Path(tempfile.mkdtemp(prefix="cc-", dir="/tmp"))
    supervisor = Supervisor(ready_timeout=15, stop_grace=2)
    try:
        with supervisor.running([rtpengine_spec(topo, run_dir)]):
            yield Rtpengine(topo, run_dir)
    finally:
        shutil.rmtree(run_dir, ignore_errors=True)


@pytest.fixture
async def ng(rtpengine: Rtpengine) -> AsyncIterator[NgClient]:
    async with NgClient(rtpengine.ng_address, timeout=1.0, retries=2) as client:
        yield client
