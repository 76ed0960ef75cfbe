"""Reading the shipped rules file: its alerts, recorded names and the metrics they read."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

from analytics.prometheus.promql import metric_names
from analytics.prometheus.scrape import RULES_FILE


@dataclass(frozen=True, slots=True)
class Rule:
    """One alerting or recording rule."""

    group: str
    name: str
    kind: str  # "alert" or "record"
    expr: str


def load_rules(path: Path = RULES_FILE) -> list[Rule]:
    """Every rule of ``path`` in file order."""
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    rules: list[Rule] = []
    for group in doc["groups"]:
        for rule in group["rules"]:
            kind = "alert" if "alert" in rule else "record"
            rules.append(Rule(group["name"], str(rule[kind]), kind, str(rule["expr"])))
    return rules


def recorded_names(rules: list[Rule]) -> set[str]:
    """Names the recording rules create (Prometheus itself exports them)."""
    return {r.name for r in rules if r.kind == "record"}


def scraped_names(rules: list[Rule]) -> set[str]:
    """Metric names the rules read that must come from a scraped target."""
    used: set[str] = set()
    for rule in rules:
        used |= metric_names(rule.expr)
    return used - recorded_names(rules) - {"up"}
