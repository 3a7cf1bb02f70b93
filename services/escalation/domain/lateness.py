"""Late, missed and concealed reporting (R-14; NORMS §6) — pure functions over lists of dicts.

迟报 is computable: a unit's first report against the limit from occurrence. 漏报 candidates are only
candidates: a unit whose area (or domain) an event touched and which never reported while others did.
谎报 / 瞒报 need a human finding, recorded as a Determination.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from services.escalation.domain.rules import Rules

FINDINGS = {"谎报": "false_report", "瞒报": "concealment", "无": "none"}
DETERMINING_ROLES = {"duty_head": "值班室负责人", "secretary_general": "秘书长"}


class DeterminationError(ValueError):
    pass


@dataclass(frozen=True)
class UnitTimeliness:
    incident_id: str
    unit: str
    first_report_at: datetime
    limit_minutes: int
    elapsed_minutes: int
    late: bool

    @property
    def late_by_minutes(self) -> int:
        return max(0, self.elapsed_minutes - self.limit_minutes)


@dataclass(frozen=True)
class MissedCandidate:
    incident_id: str
    unit: str
    because: str  # area | domain
    reported_by: tuple[str, ...]


@dataclass(frozen=True)
class Determination:
    incident_id: str
    unit: str
    finding: str  # 谎报 | 瞒报 | 无
    reasoning: str
    decided_by: str
    role: str
    decided_at: datetime
    evidence: tuple[str, ...] = ()


def unit_timeliness(incidents: Sequence[Mapping[str, Any]], rules: Rules) -> list[UnitTimeliness]:
    """Per incident and unit: minutes from occurrence to the unit's first report, against the level's limit.

    incident: {"incident_id", "occurred_at", "level", "reports": [{"unit", "received_at"}, …]}; incidents
    without an occurrence time or a level with no limit are skipped (nothing to measure against).
    """
    limits: dict[str, int] = {str(k): v for k, v in rules.unit_report_limit_minutes.items()}
    rows: list[UnitTimeliness] = []
    for inc in incidents:
        occurred, limit = inc.get("occurred_at"), limits.get(inc.get("level") or "")
        if occurred is None or limit is None:
            continue
        firsts: dict[str, datetime] = {}
        for rep in inc.get("reports", []):
            unit, at = rep["unit"], rep["received_at"]
            firsts[unit] = min(firsts.get(unit, at), at)
        for unit, first in sorted(firsts.items()):
            elapsed = int((first - occurred).total_seconds() // 60)
            rows.append(UnitTimeliness(inc["incident_id"], unit, first, limit, elapsed, elapsed > limit))
    return rows


def missed_candidates(
    incidents: Sequence[Mapping[str, Any]], unit_areas: Mapping[str, Sequence[str]],
    unit_categories: Mapping[str, Sequence[str]] | None = None,
) -> list[MissedCandidate]:
    """Units responsible for the event's area (code prefix) or category that never reported while others did."""
    out: list[MissedCandidate] = []
    for inc in incidents:
        reporters = tuple(sorted({r["unit"] for r in inc.get("reports", [])}))
        if not reporters:
            continue
        area = inc.get("area_code") or ""
        for unit, prefixes in sorted(unit_areas.items()):
            if unit not in reporters and area and any(area.startswith(p) for p in prefixes):
                out.append(MissedCandidate(inc["incident_id"], unit, "area", reporters))
        for unit, cats in sorted((unit_categories or {}).items()):
            already = any(c.unit == unit and c.incident_id == inc["incident_id"] for c in out)
            if unit not in reporters and not already and inc.get("category") in cats:
                out.append(MissedCandidate(inc["incident_id"], unit, "domain", reporters))
    return out


def determine(
    *, incident_id: str, unit: str, finding: str, reasoning: str, decided_by: str, role: str,
    decided_at: datetime, evidence: Sequence[str] = (), incident_exists: bool = True,
) -> Determination:
    if not incident_exists:
        raise DeterminationError(f"事件 {incident_id} 不存在，无法认定")
    if finding not in FINDINGS:
        raise DeterminationError(f"认定结论 {finding!r} 无效，只能是：{'、'.join(FINDINGS)}")
    if role not in DETERMINING_ROLES:
        raise DeterminationError(f"只有{'或'.join(DETERMINING_ROLES.values())}可以作出谎报、瞒报认定")
    if not reasoning.strip():
        raise DeterminationError("认定必须写明事实和理由")
    return Determination(incident_id, unit, finding, reasoning.strip(), decided_by, role, decided_at,
                         tuple(evidence))
