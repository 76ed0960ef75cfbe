"""Every refusal the desk controls can raise reaches the client with its own stable id and
status (none falls back to a generic one)."""

from __future__ import annotations

import inspect
import re

import pytest

from control_plane.api import call_control_routes as routes
from control_plane.calls import desk_control


def test_every_desk_control_error_id_has_its_api_error() -> None:
    raised = set(re.findall(r'"(calls\.[a-z_]+)"', inspect.getsource(desk_control)))
    assert raised == set(routes._BY_ID), raised ^ set(routes._BY_ID)


@pytest.mark.parametrize(("error_id", "status"), [
    ("calls.not_found", 404), ("calls.wrong_state", 409),
    ("calls.transfer_target_unknown", 400), ("calls.remote_answer_unavailable", 409),
    ("calls.remote_answer_refused", 409), ("calls.remote_answer_unanswered", 409),
    ("calls.media_failed", 503),
])
def test_refusals_map_to_their_status_and_keep_details(error_id: str, status: int) -> None:
    error = routes._api_error(desk_control.DeskControlError(error_id, "why", phase="queued"))
    assert (error.error_id, error.status) == (error_id, status)
    assert error.body()["error"]["details"] == {"phase": "queued"}
