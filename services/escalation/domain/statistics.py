"""Statistics of incidents (R-14, R-15) by period, level, category, area and unit — pure aggregation."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from services.escalation.domain.calendar import local

PERIODS = ("day", "week", "month", "quarter", "year")
DIMENSIONS = ("period", "level", "category", "area_code", "unit", "late")
SUMMED = ("deaths", "missing", "injuries", "economic_loss_cny")


def period_key(moment: datetime, period: str) -> str:
    """The period a moment falls in, read in Asia/Shanghai (a 23:30 local event belongs to that local day)."""
    t = local(moment)
    if period == "day":
        return t.strftime("%Y-%m-%d")
    if period == "week":
        year, week, _ = t.isocalendar()
        return f"{year}-W{week:02d}"
    if period == "month":
        return t.strftime("%Y-%m")
    if period == "quarter":
        return f"{t.year}-Q{(t.month - 1) // 3 + 1}"
    if period == "year":
        return str(t.year)
    raise ValueError(f"统计周期 {period!r} 无效，只能是：{', '.join(PERIODS)}")


def aggregate(
    rows: Sequence[Mapping[str, Any]], *, by: Sequence[str], period: str = "month",
    levels: Sequence[str] | None = None, since: datetime | None = None, until: datetime | None = None,
) -> list[dict[str, Any]]:
    """Count rows and sum casualties per group. A row: {"occurred_at", "level", "category", "area_code",
    "unit", "late", "deaths", …}. ``area_code`` groups can be coarsened by passing e.g. "area_code:4"."""
    for dim in by:
        if dim.split(":")[0] not in DIMENSIONS:
            raise ValueError(f"统计维度 {dim!r} 无效，只能是：{', '.join(DIMENSIONS)}")
    groups: dict[tuple[Any, ...], dict[str, Any]] = defaultdict(lambda: {"count": 0, **dict.fromkeys(SUMMED, 0)})
    for row in rows:
        at = row.get("occurred_at")
        if levels is not None and row.get("level") not in levels:
            continue
        if at is not None and ((since and at < since) or (until and at >= until)):
            continue
        key = tuple(_value(row, dim, period) for dim in by)
        group = groups[key]
        group["count"] += 1
        for name in SUMMED:
            group[name] += row.get(name) or 0
    return [{**dict(zip(by, key, strict=True)), **vals} for key, vals in sorted(groups.items(), key=_sort_key)]


def _value(row: Mapping[str, Any], dim: str, period: str) -> Any:
    name, _, width = dim.partition(":")
    if name == "period":
        return period_key(row["occurred_at"], period) if row.get("occurred_at") else "不详"
    value = row.get(name)
    if name == "area_code" and width and value:
        return str(value)[: int(width)].ljust(6, "0")
    return "不详" if value is None else value


def _sort_key(item: tuple[tuple[Any, ...], dict[str, Any]]) -> tuple[str, ...]:
    return tuple(str(v) for v in item[0])
