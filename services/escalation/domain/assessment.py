"""Assessment (R-04): suggested level + sensitive flag, and the level history (confirm / override with reason)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from services.escalation.domain.calendar import HolidayCalendar
from services.escalation.domain.grading import LEVEL_NAMES, Facts, grade
from services.escalation.domain.rules import Rules
from services.escalation.domain.sensitivity import SensitiveHit, sensitive_hits


class LevelChangeError(ValueError):
    """A level decision that cannot be recorded; the message is for the officer (Chinese)."""


@dataclass(frozen=True)
class Assessment:
    level: str | None
    reasons: list[str]
    sensitive: bool
    sensitive_reasons: list[str]
    hits: list[SensitiveHit] = field(default_factory=list)
    rules_version: str = ""


def assess(
    facts: Facts, category: str, text: str, area_code: str | None, occurred_at: datetime | None,
    rules: Rules, calendar: HolidayCalendar,
) -> Assessment:
    """Re-run on every report and follow-up: the same inputs always give the same assessment."""
    grading = grade(facts, rules.table_for(category))
    hits = sensitive_hits(text=text, area_code=area_code, occurred_at=occurred_at, rules=rules.sensitive,
                          calendar=calendar)
    return Assessment(
        level=grading.level, reasons=grading.reasons, sensitive=bool(hits),
        sensitive_reasons=[h.describe() for h in hits], hits=hits, rules_version=rules.version,
    )


@dataclass(frozen=True)
class LevelEntry:
    """One line of the level history: who decided what, when, why, under which rules version."""

    at: datetime
    by: str  # "system" for suggestions
    action: str  # suggested | confirmed | overridden | may_escalate_set | may_escalate_cleared
    level: str | None
    reason: str
    rules_version: str


@dataclass(frozen=True)
class LevelHistory:
    entries: tuple[LevelEntry, ...] = ()
    may_escalate: bool = False

    @property
    def suggested(self) -> str | None:
        return next((e.level for e in reversed(self.entries) if e.action == "suggested"), None)

    @property
    def current(self) -> str | None:
        """The latest decision: a re-grade on a follow-up is a new suggestion until the officer acts on it."""
        for e in reversed(self.entries):
            if e.action in ("confirmed", "overridden", "suggested"):
                return e.level
        return None

    def suggest(self, assessment: Assessment, *, at: datetime) -> LevelHistory:
        reason = "；".join(assessment.reasons + assessment.sensitive_reasons)
        entry = LevelEntry(at, "system", "suggested", assessment.level, reason, assessment.rules_version)
        return LevelHistory(self.entries + (entry,), self.may_escalate)

    def confirm(self, *, by: str, at: datetime, rules_version: str) -> LevelHistory:
        if self.suggested is None:
            raise LevelChangeError("尚无建议等级，无法确认；请直接人工定级并说明理由")
        entry = LevelEntry(at, by, "confirmed", self.suggested, "确认建议等级", rules_version)
        return LevelHistory(self.entries + (entry,), self.may_escalate)

    def override(self, level: str, *, reason: str, by: str, at: datetime, rules_version: str) -> LevelHistory:
        if level not in LEVEL_NAMES:
            raise LevelChangeError(f"等级 {level!r} 无效，只能是 I、II、III、IV")
        if not reason.strip():
            raise LevelChangeError("更改等级必须填写理由")
        entry = LevelEntry(at, by, "overridden", level, reason.strip(), rules_version)
        return LevelHistory(self.entries + (entry,), self.may_escalate)

    def set_may_escalate(self, value: bool, *, reason: str, by: str, at: datetime,
                         rules_version: str) -> LevelHistory:
        if not reason.strip():
            raise LevelChangeError("标记或取消“可能升级”必须填写理由")
        action = "may_escalate_set" if value else "may_escalate_cleared"
        entry = LevelEntry(at, by, action, self.current, reason.strip(), rules_version)
        return LevelHistory(self.entries + (entry,), value)
