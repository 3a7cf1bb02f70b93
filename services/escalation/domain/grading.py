"""Grading (R-04): a suggested level I–IV from the facts; the highest level any criterion reaches.

"以上" includes the number (国务院令第493号 第三条): a criterion reaches a level when value >= threshold.
Pure: no I/O. Thresholds come from the rules file (see rules.py), never from constants here.
"""

from __future__ import annotations

from dataclasses import dataclass, field

LEVELS = ("I", "II", "III")  # IV (一般) is whatever falls below III
LEVEL_NAMES = {"I": "特别重大", "II": "重大", "III": "较大", "IV": "一般"}
FACT_NAMES = {
    "deaths": "死亡",
    "serious_injuries": "重伤",
    "injuries": "受伤",
    "missing": "失踪",
    "trapped": "被困",
    "evacuated": "疏散转移",
    "economic_loss_cny": "直接经济损失（元）",
    "deaths_and_missing": "死亡和失踪",
    "ill": "发病",
}


@dataclass(frozen=True)
class Facts:
    deaths: int | None = None
    injuries: int | None = None
    serious_injuries: int | None = None
    missing: int | None = None
    trapped: int | None = None
    evacuated: int | None = None
    economic_loss_cny: float | None = None

    def value(self, name: str) -> float | None:
        if name == "deaths_and_missing":
            parts = [v for v in (self.deaths, self.missing) if v is not None]
            return sum(parts) if parts else None
        return getattr(self, name, None)


@dataclass(frozen=True)
class GradingTable:
    """criteria: fact name -> {level: threshold}, e.g. {"deaths": {"I": 30, "II": 10, "III": 3}}."""

    criteria: dict[str, dict[str, float]]


@dataclass(frozen=True)
class Grading:
    level: str | None
    reasons: list[str] = field(default_factory=list)


def grade(facts: Facts, table: GradingTable | None) -> Grading:
    """The highest level any single criterion reaches; IV when graded but below III; None without a table."""
    if table is None:
        return Grading(level=None, reasons=["该类别无分级标准，需人工定级"])
    for level in LEVELS:
        reasons = [
            f"{FACT_NAMES.get(name, name)} {_fmt(facts.value(name))} ≥ {_fmt(thresholds[level])}（{LEVEL_NAMES[level]}）"
            for name, thresholds in table.criteria.items()
            if level in thresholds and (v := facts.value(name)) is not None and v >= thresholds[level]
        ]
        if reasons:
            return Grading(level=level, reasons=reasons)
    return Grading(level="IV", reasons=["各项指标均未达到较大标准（一般）"])


def _fmt(value: float | None) -> str:
    if value is None:
        return "不详"
    return str(int(value)) if float(value).is_integer() else str(value)
