"""Prometheus side of the center: scrape config from a topology, alert rules, promtool.

``render_config(topology)`` gives the ``prometheus.yml`` that scrapes every component (one
job per component kind, ``role``/``node`` labels per target); ``RULES_FILE`` is the shipped
alert rules file, unit-tested with ``promtool test rules`` (``rules/tests/``).
"""

from analytics.prometheus.scrape import (
    JOB_CONTROL_PLANE,
    JOB_KAMAILIO,
    JOB_RTPENGINE,
    RULES_FILE,
    ScrapeTarget,
    render_config,
    scrape_config,
    scrape_targets,
)

__all__ = [
    "JOB_CONTROL_PLANE",
    "JOB_KAMAILIO",
    "JOB_RTPENGINE",
    "RULES_FILE",
    "ScrapeTarget",
    "render_config",
    "scrape_config",
    "scrape_targets",
]
