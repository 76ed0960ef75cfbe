"""KPI questions refuse what would give silently wrong figures."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from analytics.kpis import Dimension, Grain, KpiQuery, QueueKpis, Source
from analytics.kpis.query import bucket_sql
from analytics.kpis.sql import agent_time_sql, queue_kpis_sql
from analytics.schema.ddl import quote

START = datetime(2026, 3, 2, tzinfo=UTC)


def test_naive_or_misaligned_ranges_are_refused() -> None:
    with pytest.raises(ValueError, match="time zone"):
        KpiQuery("t", datetime(2026, 3, 2), datetime(2026, 3, 3))
    with pytest.raises(ValueError, match="15-minute boundary"):
        KpiQuery("t", START + timedelta(minutes=5), START + timedelta(days=1))
    with pytest.raises(ValueError, match="unknown time zone"):
        KpiQuery("t", START, START + timedelta(days=1), tz="Mars/Olympus")


def test_source_follows_the_thresholds() -> None:
    end = START + timedelta(days=1)
    assert KpiQuery("t", START, end, sl_threshold_s=20).uses_rollup()
    assert not KpiQuery("t", START, end, sl_threshold_s=15).uses_rollup()
    assert not KpiQuery("t", START, end, source=Source.RAW).uses_rollup()
    assert "FROM db.queue_15m" in queue_kpis_sql("db", KpiQuery("t", START, end))
    by_agent = KpiQuery("t", START, end, by=(Dimension.AGENT,), source=Source.ROLLUP)
    assert "FROM db.agent_15m" in queue_kpis_sql("db", by_agent)
    # No rollup holds agents within chosen queues, or skills: raw rows answer.
    for q in (KpiQuery("t", START, end, by=(Dimension.AGENT,), queues=("q1",)),
              KpiQuery("t", START, end, by=(Dimension.SKILL,), source=Source.ROLLUP),
              KpiQuery("t", START, end, by=(Dimension.QUEUE, Dimension.AGENT))):
        assert "FROM db.queue_calls FINAL" in queue_kpis_sql("db", q)
    assert "FROM db.agent_15m" in queue_kpis_sql(
        "db", KpiQuery("t", START, end, by=(Dimension.TENANT,), agents=("a1",)))
    assert "FROM db.queue_calls FINAL" in queue_kpis_sql(
        "db", KpiQuery("t", START, end, short_abandon_s=7))


def test_literals_are_escaped() -> None:
    assert quote("o'brien\\") == "'o\\'brien\\\\'"
    sql = queue_kpis_sql("db", KpiQuery("x' OR 1=1 --", START, START + timedelta(hours=1)))
    assert "tenant = 'x\\' OR 1=1 --'" in sql


def test_every_grain_uses_the_zone_except_15_minutes() -> None:
    assert "Asia/Shanghai" not in bucket_sql(Grain.MIN15, "c", "Asia/Shanghai")
    for grain in (Grain.HOUR, Grain.DAY, Grain.WEEK, Grain.MONTH):
        assert bucket_sql(grain, "c", "Asia/Shanghai").count("'Asia/Shanghai'") >= 1


def test_agent_time_is_not_per_queue() -> None:
    with pytest.raises(ValueError, match="not per queue"):
        agent_time_sql("db", KpiQuery("t", START, START + timedelta(hours=1),
                                      by=(Dimension.QUEUE,)))


def test_empty_denominators_give_none_not_zero() -> None:
    row = QueueKpis(START, {}, 20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
    assert row.service_level is None and row.asa_s is None and row.abandonment_rate is None
