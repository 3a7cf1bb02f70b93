"""迟报, 漏报 candidates, 谎报/瞒报 determinations and statistics."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from services.escalation.domain.lateness import (
    DeterminationError,
    determine,
    missed_candidates,
    unit_timeliness,
)
from services.escalation.domain.rules import Rules
from services.escalation.domain.statistics import aggregate, period_key

T0 = datetime(2026, 11, 28, 2, 0, tzinfo=UTC)


def _incident(level: str, *reports: tuple[str, int], area: str = "450103", cat: str = "fire") -> dict[str, object]:
    return {"incident_id": f"inc-{level}", "occurred_at": T0, "level": level, "area_code": area, "category": cat,
            "reports": [{"unit": u, "received_at": T0 + timedelta(minutes=m)} for u, m in reports]}


def test_late_against_level_limit(rules: Rules) -> None:
    rows = unit_timeliness([_incident("II", ("某县", 30), ("市消防", 31), ("市消防", 10))], rules)
    assert [(r.unit, r.elapsed_minutes, r.late) for r in rows] == [("市消防", 10, False), ("某县", 30, False)]
    rows = unit_timeliness([_incident("III", ("某县", 61))], rules)
    assert rows[0].late and rows[0].late_by_minutes == 1 and rows[0].limit_minutes == 60


def test_incident_without_occurrence_time_is_not_measured(rules: Rules) -> None:
    inc = _incident("IV", ("某县", 500))
    inc["occurred_at"] = None
    assert unit_timeliness([inc], rules) == []


def test_missed_candidates_by_area_and_domain() -> None:
    incidents = [_incident("III", ("市消防", 5)), _incident("IV", area="450103")]  # second: nobody reported
    areas = {"某县": ["450103"], "邻县": ["450105"], "市消防": ["4501"]}
    found = missed_candidates(incidents, areas, {"市应急管理局": ["fire"]})
    assert [(c.unit, c.because, c.reported_by) for c in found] == [
        ("某县", "area", ("市消防",)), ("市应急管理局", "domain", ("市消防",))]


def test_determination_needs_role_and_reasoning() -> None:
    d = determine(incident_id="inc-1", unit="某县", finding="瞒报", reasoning="经核实，事发后隐瞒1人死亡",
                  decided_by="li", role="duty_head", decided_at=T0, evidence=["通话记录"])
    assert d.finding == "瞒报" and d.evidence == ("通话记录",)
    with pytest.raises(DeterminationError, match="只有值班室负责人或秘书长"):
        determine(incident_id="inc-1", unit="某县", finding="谎报", reasoning="x", decided_by="zhang",
                  role="duty_officer", decided_at=T0)
    with pytest.raises(DeterminationError, match="写明事实和理由"):
        determine(incident_id="inc-1", unit="某县", finding="谎报", reasoning=" ", decided_by="li",
                  role="duty_head", decided_at=T0)
    with pytest.raises(DeterminationError, match="不存在"):
        determine(incident_id="x", unit="某县", finding="谎报", reasoning="y", decided_by="li", role="duty_head",
                  decided_at=T0, incident_exists=False)


def test_period_is_local_day() -> None:
    late_evening = datetime(2026, 11, 28, 15, 30, tzinfo=UTC)  # 23:30 in Shanghai
    assert period_key(late_evening, "day") == "2026-11-28"
    assert period_key(datetime(2026, 12, 31, 16, 30, tzinfo=UTC), "year") == "2027"
    assert period_key(T0, "quarter") == "2026-Q4" and period_key(T0, "week") == "2026-W48"


def test_aggregate_by_level_and_county() -> None:
    rows = [
        {"occurred_at": T0, "level": "III", "category": "fire", "area_code": "450103", "deaths": 3},
        {"occurred_at": T0, "level": "III", "category": "fire", "area_code": "450105", "deaths": 4},
        {"occurred_at": T0, "level": "IV", "category": "fire", "area_code": "450105", "deaths": None},
        {"occurred_at": T0 - timedelta(days=40), "level": "II", "category": "drowning", "area_code": "450200"},
    ]
    out = aggregate(rows, by=["period", "level", "area_code:4"], levels=["I", "II", "III"])
    assert out == [
        {"period": "2026-10", "level": "II", "area_code:4": "450200", "count": 1, "deaths": 0, "missing": 0,
         "injuries": 0, "economic_loss_cny": 0},
        {"period": "2026-11", "level": "III", "area_code:4": "450100", "count": 2, "deaths": 7, "missing": 0,
         "injuries": 0, "economic_loss_cny": 0},
    ]
    with pytest.raises(ValueError, match="统计维度"):
        aggregate(rows, by=["colour"])
