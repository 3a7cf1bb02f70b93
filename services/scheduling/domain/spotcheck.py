"""Spot checks (查岗) of subordinate units (R-26): random picks, results, summaries, the notice."""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import date, datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict


class CheckMethod(StrEnum):
    PHONE = "phone"
    VIDEO = "video"
    ON_SITE = "on_site"


class CheckOutcome(StrEnum):
    NORMAL = "normal"
    NO_ANSWER = "no_answer"
    WRONG_PERSON = "wrong_person"
    DEAD_NUMBER = "dead_number"
    LEADER_ABSENT = "leader_absent"


METHOD_LABELS = {CheckMethod.PHONE: "电话抽查", CheckMethod.VIDEO: "视频点名", CheckMethod.ON_SITE: "实地检查"}
OUTCOME_LABELS = {
    CheckOutcome.NORMAL: "正常",
    CheckOutcome.NO_ANSWER: "无人接听",
    CheckOutcome.WRONG_PERSON: "非值班人员接听",
    CheckOutcome.DEAD_NUMBER: "电话无法接通",
    CheckOutcome.LEADER_ABSENT: "带班领导不在岗",
}


class Unit(BaseModel):
    model_config = ConfigDict(frozen=True)

    unit_id: str
    name: str
    duty_phone: str = ""
    leader_phone: str = ""


class CheckResult(BaseModel):
    model_config = ConfigDict(frozen=True)

    unit_id: str
    method: CheckMethod
    at: datetime
    outcome: CheckOutcome
    answered_by: str = ""
    answer_seconds: int | None = None
    checked_by: str = ""


class UnitSummary(BaseModel):
    unit_id: str
    name: str
    checks: int
    normal: int
    problems: dict[str, int]
    average_answer_seconds: float | None


def select_units(units: Sequence[Unit], count: int, rng: random.Random,
                 recently_checked: Sequence[str] = ()) -> list[Unit]:
    """Units not checked recently first; the caller seeds `rng` so a draw can be reproduced."""
    recent = set(recently_checked)
    fresh = [u for u in units if u.unit_id not in recent]
    stale = [u for u in units if u.unit_id in recent]
    picked = rng.sample(fresh, min(count, len(fresh)))
    if len(picked) < count:
        picked += rng.sample(stale, min(count - len(picked), len(stale)))
    return picked


def summarize(units: Sequence[Unit], results: Sequence[CheckResult]) -> list[UnitSummary]:
    summaries = []
    for unit in units:
        own = [r for r in results if r.unit_id == unit.unit_id]
        if not own:
            continue
        problems: dict[str, int] = {}
        for r in own:
            if r.outcome is not CheckOutcome.NORMAL:
                problems[OUTCOME_LABELS[r.outcome]] = problems.get(OUTCOME_LABELS[r.outcome], 0) + 1
        timed = [r.answer_seconds for r in own if r.answer_seconds is not None]
        summaries.append(UnitSummary(
            unit_id=unit.unit_id, name=unit.name, checks=len(own),
            normal=sum(r.outcome is CheckOutcome.NORMAL for r in own), problems=problems,
            average_answer_seconds=round(sum(timed) / len(timed), 1) if timed else None,
        ))
    return summaries


def draft_notice(units: Sequence[Unit], results: Sequence[CheckResult], period: str, issued_on: date,
                 issuer: str = "市政府办公室") -> str:
    """A draft 通报 for an officer to edit and have approved; it names units with problems."""
    summaries = summarize(units, results)
    total = sum(s.checks for s in summaries)
    normal = sum(s.normal for s in summaries)
    methods = "、".join(sorted({METHOD_LABELS[r.method] for r in results})) or "抽查"
    lines = [f"关于{period}值班抽查情况的通报", "",
             f"{period}，{issuer}采取{methods}方式，对{len(summaries)}个单位的值班情况进行了抽查，"
             f"共抽查{total}次，其中正常{normal}次，存在问题{total - normal}次。"]
    flagged = [s for s in summaries if s.problems]
    if flagged:
        lines.append("存在问题的单位如下：")
        for n, s in enumerate(flagged, 1):
            detail = "、".join(f"{label}{count}次" for label, count in s.problems.items())
            lines.append(f"{n}. {s.name}：{detail}。")
        lines.append("请上述单位认真整改，严格落实24小时值班和领导带班制度，确保值班电话有人接听、信息报送渠道畅通。")
    else:
        lines.append("被抽查单位值班在岗情况良好。")
    lines += ["", issuer, f"{issued_on.year}年{issued_on.month}月{issued_on.day}日"]
    return "\n".join(lines)
