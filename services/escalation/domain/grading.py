"""Grading (R-04): a suggested level I–IV from the facts; the highest level any criterion reaches.

"以上" includes the number, "以下" excludes it (国务院令第493号 第三条): a simple criterion reaches a
level when value >= threshold. Compound conditions (food poisoning "超过100人且有死亡") carry their own
operator, so "超过" (gt) and "以上" (ge) stay distinct. Thresholds come from the rules file, never here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

LEVELS = ("I", "II", "III")  # IV (一般) is whatever falls below III
LEVEL_ORDER = {"I": 1, "II": 2, "III": 3, "IV": 4}
LEVEL_NAMES = {"I": "特别重大", "II": "重大", "III": "较大", "IV": "一般"}
FACT_NAMES = {
    "deaths": "死亡",
    "serious_injuries": "重伤（含急性中毒）",
    "injuries": "受伤",
    "missing": "失踪",
    "trapped": "被困",
    "evacuated": "疏散转移",
    "economic_loss_cny": "直接经济损失（元）",
    "deaths_and_missing": "死亡和失踪",
    "ill": "发病",
    "collective_unit_ill": "学校或集体单位发病",
    "magnitude": "震级",
    "dense_area": "人口密集地区",
    "participants": "参与人数",
}
BOOL_FACTS = frozenset({"dense_area"})
Op = Literal["ge", "gt", "le", "lt", "eq"]
OP_TEXT = {"ge": "≥", "gt": ">", "le": "≤", "lt": "<", "eq": "="}


@dataclass(frozen=True)
class Facts:
    """None means 不详; grading skips unknown facts instead of treating them as zero."""

    deaths: int | None = None
    injuries: int | None = None
    serious_injuries: int | None = None
    missing: int | None = None
    trapped: int | None = None
    evacuated: int | None = None
    economic_loss_cny: float | None = None
    ill: int | None = None
    collective_unit_ill: int | None = None
    magnitude: float | None = None
    dense_area: bool | None = None
    participants: int | None = None

    def value(self, name: str) -> float | None:
        if name == "deaths_and_missing":
            parts = [v for v in (self.deaths, self.missing) if v is not None]
            return sum(parts) if parts else None
        raw = getattr(self, name, None)
        if isinstance(raw, bool):
            return 1.0 if raw else 0.0
        return raw


@dataclass(frozen=True)
class Clause:
    fact: str
    op: Op
    value: float

    def holds(self, facts: Facts) -> bool:
        v = facts.value(self.fact)
        if v is None:
            return False
        return {
            "ge": v >= self.value, "gt": v > self.value, "le": v <= self.value,
            "lt": v < self.value, "eq": v == self.value,
        }[self.op]

    def describe(self, facts: Facts) -> str:
        if self.fact in BOOL_FACTS:
            return f"{FACT_NAMES[self.fact]}：{'是' if facts.value(self.fact) else '否'}"
        return f"{FACT_NAMES.get(self.fact, self.fact)} {_fmt(facts.value(self.fact))} {OP_TEXT[self.op]} {_fmt(self.value)}"


@dataclass(frozen=True)
class Condition:
    """All clauses must hold for the condition to reach its level."""

    level: str
    clauses: tuple[Clause, ...]
    note: str = ""


@dataclass(frozen=True)
class GradingTable:
    """criteria: fact name -> {level: threshold} (以上, inclusive); conditions: compound rules."""

    criteria: dict[str, dict[str, float]]
    conditions: tuple[Condition, ...] = ()


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
        reasons += [
            "；".join(c.describe(facts) for c in cond.clauses) + f"（{LEVEL_NAMES[level]}{cond.note}）"
            for cond in table.conditions
            if cond.level == level and all(c.holds(facts) for c in cond.clauses)
        ]
        if reasons:
            return Grading(level=level, reasons=reasons)
    return Grading(level="IV", reasons=["各项指标均未达到较大标准（一般）"])


def higher_of(a: str | None, b: str | None) -> str | None:
    """The more serious of two levels (I beats II); None counts as ungraded."""
    if a is None or b is None:
        return a or b
    return a if LEVEL_ORDER[a] <= LEVEL_ORDER[b] else b


def at_least(level: str | None, floor: str) -> bool:
    """True when ``level`` is ``floor`` or more serious (e.g. at_least("II", "III"))."""
    return level is not None and LEVEL_ORDER[level] <= LEVEL_ORDER[floor]


def _fmt(value: float | None) -> str:
    if value is None:
        return "不详"
    return str(int(value)) if float(value).is_integer() else str(value)
