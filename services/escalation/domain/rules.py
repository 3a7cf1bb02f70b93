"""The rules file as data: validated at start-up with precise errors (pydantic)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, model_validator

from services.escalation.domain.grading import GradingTable


class CategoryRule(BaseModel):
    model_config = ConfigDict(extra="forbid")

    same_as: str | None = None
    criteria: dict[str, dict[str, float]] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _levels_descend(self) -> CategoryRule:
        for name, thresholds in self.criteria.items():
            unknown = set(thresholds) - {"I", "II", "III"}
            if unknown:
                raise ValueError(f"criterion {name!r}: unknown level(s) {sorted(unknown)}; use I, II, III")
            ordered = [thresholds[lv] for lv in ("I", "II", "III") if lv in thresholds]
            if ordered != sorted(ordered, reverse=True):
                raise ValueError(f"criterion {name!r}: thresholds must not rise from I to III: {thresholds}")
        return self


class Rules(BaseModel):
    model_config = ConfigDict(extra="allow")

    version: str = Field(min_length=1)
    grading: dict[str, CategoryRule]
    notify_leader_from_level: str = "III"

    @model_validator(mode="after")
    def _same_as_resolves(self) -> Rules:
        for name, rule in self.grading.items():
            if rule.same_as and rule.same_as not in self.grading:
                raise ValueError(f"grading.{name}.same_as names unknown category {rule.same_as!r}")
        return self

    def table_for(self, category: str) -> GradingTable | None:
        rule = self.grading.get(category)
        seen: set[str] = set()
        while rule is not None and rule.same_as and rule.same_as not in seen:
            seen.add(rule.same_as)
            rule = self.grading.get(rule.same_as)
        return GradingTable(criteria=rule.criteria) if rule and rule.criteria else None
