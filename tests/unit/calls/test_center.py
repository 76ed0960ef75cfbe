"""The center file: what it defaults, and errors that name the entry at fault."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from control_plane.acd.model import OverflowKind
from control_plane.calls.center import CenterConfigError, load_center, parse_center
from control_plane.ivr.prompts import CATALOGUE

ROOT = Path(__file__).resolve().parents[3]
DEMO = ROOT / "control_plane/calls/demo_center.toml"
FIXTURE = ROOT / "tests/e2e/center_fixture.toml"
PROMPTS = frozenset(CATALOGUE["en"]) | frozenset(CATALOGUE["zh"])

FLOW = {"start": "m", "nodes": {
    "m": {"type": "menu", "prompt": "main_menu", "options": {"1": "q"}, "on_fail": "q"},
    "q": {"type": "queue", "queue": "sales"}}}
MINIMAL: dict[str, Any] = {
    "tenant": [{"id": "acme", "queue": [{"id": "sales"}]}],
    "agent": [{"tenant": "acme", "id": "alice", "seat": "alice-seat"}],
    "route": [{"number": "100", "tenant": "acme", "flow": "main"},
              {"number": "200", "tenant": "acme", "queue": "sales"}],
    "flow": [{"tenant": "acme", "name": "main", "document": FLOW}],
}


def raw(**changes: Any) -> dict[str, Any]:
    doc = copy.deepcopy(MINIMAL)
    doc.update(copy.deepcopy(changes))
    return doc


def refused(doc: dict[str, Any], **kwargs: Any) -> str:
    with pytest.raises(CenterConfigError) as caught:
        parse_center(doc, **kwargs)
    return str(caught.value)


@pytest.mark.parametrize("path", [DEMO, FIXTURE], ids=lambda p: p.name)
def test_the_shipped_centers_load_with_the_prompt_catalogue(path: Path) -> None:
    center = load_center(path, prompts=PROMPTS)
    assert center.routes and center.flows and center.agents
    for route in center.routes.values():
        assert route.tenant in center.tenants
        assert (route.tenant, route.flow) in center.flows or (
            route.tenant, route.queue) in center.queues


def test_the_demo_center_as_written() -> None:
    center = load_center(DEMO)
    assert center.domain == "cc.local" and set(center.tenants) == {"acme", "hzwater"}
    assert center.languages == {"acme": "en", "hzwater": "zh"}
    sales = center.queues[("acme", "sales")]
    assert (sales.strategy, sales.ring_timeout_s, sales.announce_period_s) == (
        "longest-idle", 12.0, 30)
    assert sales.overflow.on_no_agents is not None
    assert sales.overflow.on_no_agents.kind is OverflowKind.VOICEMAIL
    assert center.flows[("hzwater", "main")].language == "zh"
    assert center.agent_by_seat("li") == center.agent("hzwater", "li")
    assert center.agent_by_seat("nobody") is None and center.agent("acme", "li") is None


def test_defaults() -> None:
    center = parse_center(raw())
    assert center.domain == "cc.local"
    assert (center.languages, center.recording_notice, center.time_zones) == (
        {"acme": "en"}, {"acme": False}, {"acme": "UTC"})
    assert center.callback_offers == {}
    queue = center.queues[("acme", "sales")]
    assert (queue.strategy, queue.ring_timeout_s, queue.wrap_up_s, queue.pause_on_no_answer,
            queue.announce_period_s, queue.skills) == ("longest-idle", 15.0, 0.0, True, None, ())
    assert (queue.service_level.target, queue.service_level.threshold_s) == (0.8, 20.0)
    assert queue.overflow.on_max_wait is None and queue.overflow.max_wait_s is None
    agent = center.agents[0]
    assert (agent.auto_login, agent.profile.order, agent.profile.weight,
            dict(agent.profile.skills)) == (True, 0, 1.0, {})
    assert center.flows[("acme", "main")].language == "en"


def test_explicit_values_are_kept() -> None:
    doc = raw(domain="cc.example")
    doc["tenant"][0].update(language="zh", recording_notice=True, time_zone="Asia/Shanghai",
                            skills=["sales"])
    doc["tenant"][0]["queue"][0].update(
        skills=[{"skill": "sales", "min": 3}], callback_offer_after_s=45, wrap_up_s=10,
        on_max_wait={"kind": "queue", "queue": "other"},
        on_no_agents={"kind": "reject", "sip_code": 480})
    doc["agent"][0].update(skills={"sales": 4}, order=2, weight=0.5, auto_login=False)
    center = parse_center(doc)
    assert center.domain == "cc.example" and center.recording_notice == {"acme": True}
    assert center.time_zones == {"acme": "Asia/Shanghai"}
    assert center.tenants["acme"].skills == frozenset({"sales"})
    assert center.callback_offers == {("acme", "sales"): 45.0}
    queue = center.queues[("acme", "sales")]
    assert [(s.skill, s.min_proficiency) for s in queue.skills] == [("sales", 3)]
    assert queue.overflow.on_max_wait is not None
    assert queue.overflow.on_max_wait.target_queue == "other"
    assert queue.overflow.on_no_agents is not None
    assert queue.overflow.on_no_agents.sip_code == 480
    agent = center.agents[0]
    assert (agent.auto_login, agent.profile.order, agent.profile.weight,
            dict(agent.profile.skills)) == (False, 2, 0.5, {"sales": 4})


def test_an_agent_of_an_unknown_tenant_is_named() -> None:
    doc = raw()
    doc["agent"][0]["tenant"] = "globex"
    assert refused(doc) == "agent alice: unknown tenant 'globex'"


def test_a_route_to_an_unknown_flow_or_queue_is_named() -> None:
    doc = raw()
    doc["route"][0]["flow"] = "night"
    assert refused(doc) == "route 100: unknown flow 'night'"
    doc = raw()
    doc["route"][1]["queue"] = "billing"
    assert refused(doc) == "route 200: unknown queue 'billing'"


def test_a_route_cannot_reach_another_tenants_flow_or_queue() -> None:
    doc = raw()
    doc["tenant"].append({"id": "globex", "queue": [{"id": "vip"}]})
    doc["route"][1]["queue"] = "vip"
    assert refused(doc) == "route 200: unknown queue 'vip'"


@pytest.mark.parametrize("which", ["on_max_wait", "on_no_agents", "on_max_offers"])
def test_a_bad_overflow_kind_is_named(which: str) -> None:
    doc = raw()
    doc["tenant"][0]["queue"][0][which] = {"kind": "teleport"}
    message = refused(doc)
    assert message.startswith("queue acme/sales: ") and "overflow needs kind in " in message
    assert "'voicemail'" in message and "teleport" in message


def test_an_overflow_without_kind_is_named() -> None:
    doc = raw()
    doc["tenant"][0]["queue"][0]["on_max_wait"] = {"queue": "other"}
    message = refused(doc)
    assert message.startswith("queue acme/sales: ") and "overflow needs kind" in message


def test_an_overflow_error_names_its_queue_once() -> None:
    doc = raw()
    doc["tenant"][0]["queue"][0]["on_max_wait"] = {"kind": "teleport"}
    assert refused(doc).count("queue acme/sales") == 1


def test_a_bad_queue_field_names_the_queue() -> None:
    doc = raw()
    doc["tenant"][0]["queue"][0]["ring_timeout_s"] = "soon"
    assert refused(doc).startswith("queue acme/sales: ")
    doc = raw()
    doc["tenant"][0]["queue"][0]["skills"] = [{"min": 2}]
    assert refused(doc) == "queue acme/sales: 'skill'"


def test_a_flow_error_names_the_flow_and_the_node() -> None:
    doc = raw()
    doc["flow"][0]["document"]["nodes"]["q"]["queue"] = "billing"
    assert refused(doc) == "flow acme/main: nodes.q.queue: unknown queue 'billing'"
    doc = raw()
    doc["flow"][0]["document"]["nodes"]["m"]["prompt"] = "no_such_prompt"
    assert refused(doc, prompts=PROMPTS) == (
        "flow acme/main: nodes.m.prompt: unknown prompt 'no_such_prompt'")
    assert parse_center(doc).flows  # prompts are only checked when they are known


def test_a_flow_may_use_only_its_own_tenants_queues() -> None:
    doc = raw()
    doc["tenant"].append({"id": "globex", "queue": [{"id": "vip"}]})
    doc["flow"][0]["document"]["nodes"]["q"]["queue"] = "vip"
    assert refused(doc) == "flow acme/main: nodes.q.queue: unknown queue 'vip'"


def test_a_flow_without_a_document_is_named() -> None:
    doc = raw()
    del doc["flow"][0]["document"]
    assert refused(doc).startswith("flow acme/main: $: ")


def test_a_flow_from_a_file_beside_the_center(tmp_path: Path) -> None:
    (tmp_path / "flows").mkdir()
    (tmp_path / "flows/main.toml").write_text(
        'start = "q"\n[nodes.q]\ntype = "queue"\nqueue = "sales"\n')
    (tmp_path / "center.toml").write_text(
        '[[tenant]]\nid = "acme"\n[[tenant.queue]]\nid = "sales"\n'
        '[[flow]]\ntenant = "acme"\nname = "main"\nfile = "flows/main.toml"\n'
        '[[route]]\nnumber = "100"\ntenant = "acme"\nflow = "main"\n')
    center = load_center(tmp_path / "center.toml")
    assert center.flows[("acme", "main")].start == "q"


def test_invalid_toml_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "center.toml"
    path.write_text('[[tenant]]\nid = "acme\n')
    with pytest.raises(CenterConfigError, match=r"center\.toml: not valid TOML"):
        load_center(path)


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(CenterConfigError, match=r"nowhere\.toml does not exist"):
        load_center(tmp_path / "nowhere.toml")


def test_a_missing_required_field_is_named(tmp_path: Path) -> None:
    path = tmp_path / "center.toml"
    path.write_text('[[tenant]]\nid = "acme"\n[[agent]]\ntenant = "acme"\nid = "alice"\n')
    with pytest.raises(CenterConfigError, match=r"center\.toml: agent alice: missing field 'seat'"):
        load_center(path)


# Each of these was a defect found while writing these tests; now each is refused, naming
# its entry.
GAPS: dict[str, tuple[dict[str, Any], str]] = {
    "agent entry not named for a missing seat": (
        {"agent": [{"tenant": "acme", "id": "alice"}]}, "agent alice"),
    "agent skills as a list crash with AttributeError": (
        {"agent": [{"tenant": "acme", "id": "alice", "seat": "s", "skills": ["sales"]}]},
        "agent alice"),
    "route entry not named for a missing tenant": (
        {"route": [{"number": "100", "flow": "main"}]}, "route 100"),
    "a route with neither flow nor queue is accepted": (
        {"route": [{"number": "100", "tenant": "acme"}]}, "route 100"),
    "a duplicate route number silently replaces the first": (
        {"route": [{"number": "200", "tenant": "acme", "queue": "sales"},
                   {"number": "200", "tenant": "acme", "flow": "main"}]}, "route 200"),
    "an unknown queue strategy is accepted": (
        {"tenant": [{"id": "acme", "queue": [{"id": "sales", "strategy": "random-ish"}]}]},
        "queue acme/sales"),
}


@pytest.mark.parametrize("gap", sorted(GAPS))
def test_known_gaps_name_their_entry(gap: str) -> None:
    changes, where = GAPS[gap]
    assert where in refused(raw(**changes))
