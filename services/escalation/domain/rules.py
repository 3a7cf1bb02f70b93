"""The rules file as data: validated at start-up (and on every admin reload) with precise errors."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from services.escalation.domain.grading import Clause, Condition, GradingTable
from services.escalation.domain.rules_schema import (
    CategoryRule,
    FinalReport,
    FollowUps,
    LevelKey,
    Limit,
    Reminders,
    ReviewRules,
    Routing,
    SensitiveRules,
    Supervision,
    Upward,
)

__all__ = ["CategoryRule", "Rules", "RulesError", "addressees", "load_rules", "unknown_addressees"]

REPORT_KINDS = ("phone", "written", "upward")
_ZH_ERRORS = {
    "missing": "缺少必填字段",
    "extra_forbidden": "不允许的字段（可能拼写错误）",
    "int_parsing": "应为整数",
    "int_type": "应为整数",
    "float_parsing": "应为数字",
    "float_type": "应为数字",
    "greater_than": "数值过小",
    "greater_than_equal": "数值过小",
    "less_than_equal": "数值过大",
    "literal_error": "取值不在允许范围内",
    "string_pattern_mismatch": "格式不正确",
    "string_too_short": "不能为空",
    "too_short": "条目过少",
    "date_from_datetime_parsing": "应为日期（YYYY-MM-DD）",
    "date_parsing": "应为日期（YYYY-MM-DD）",
    "date_type": "应为日期（YYYY-MM-DD）",
    "dict_type": "应为映射（键: 值）",
    "list_type": "应为列表",
    "string_type": "应为文字",
    "model_type": "应为映射（键: 值）",
}


class RulesError(ValueError):
    """An unusable rules file. ``problems`` lists (path, 中文说明, English detail), one per bad field."""

    def __init__(self, problems: list[tuple[str, str, str]]):
        self.problems = problems
        lines = [f"{path}: {zh} / {en}" for path, zh, en in problems]
        super().__init__("规则文件无效 / invalid rules file:\n" + "\n".join(lines))


class Rules(BaseModel):
    model_config = ConfigDict(extra="forbid")

    version: str = Field(min_length=1)
    notify_leader_from_level: LevelKey = "III"
    grading: dict[str, CategoryRule]
    sensitive: SensitiveRules = Field(default_factory=SensitiveRules)
    report_limits: dict[LevelKey, dict[str, Limit]] = Field(default_factory=dict)
    unit_report_limit_minutes: dict[LevelKey, int] = Field(default_factory=dict)
    follow_ups: FollowUps | None = None
    final_report: FinalReport | None = None
    reminders: Reminders = Field(default_factory=Reminders)
    review: ReviewRules | None = None
    routing: Routing | None = None
    supervision: Supervision = Field(default_factory=Supervision)
    upward: Upward = Field(default_factory=Upward)

    @model_validator(mode="after")
    def _cross_references(self) -> Rules:
        for name, rule in self.grading.items():
            if rule.same_as and rule.same_as not in self.grading:
                raise ValueError(f"grading.{name}.same_as 引用了未定义的类别 {rule.same_as!r} / "
                                 f"grading.{name}.same_as names unknown category {rule.same_as!r}")
        for level, kinds in self.report_limits.items():
            unknown = set(kinds) - set(REPORT_KINDS)
            if unknown:
                raise ValueError(f"report_limits.{level} 含未知报告类型 {sorted(unknown)}，只能用 {list(REPORT_KINDS)} / "
                                 f"unknown report kind(s) {sorted(unknown)}")
        if self.routing is not None:
            up = self.upward.addressee
            for path, who in addressees(self):
                if who == up and path.startswith("routing."):
                    raise ValueError(f"{path} 指向上级值班室 {up!r}：向上报送只能经审批的直报信息（upward），"
                                     f"不能写入报送路由 / {path} routes to the upward addressee {up!r}; "
                                     f"upward reports go only as the approved bulletin")
        return self

    def table_for(self, category: str) -> GradingTable | None:
        rule = self.grading.get(category)
        seen: set[str] = set()
        while rule is not None and rule.same_as and rule.same_as not in seen:
            seen.add(rule.same_as)
            rule = self.grading.get(rule.same_as)
        if rule is None or not (rule.criteria or rule.conditions):
            return None
        conditions = tuple(
            Condition(level=c.level, clauses=tuple(Clause(k.fact, k.op, k.value) for k in c.all), note=c.note)
            for c in rule.conditions
        )
        return GradingTable(criteria=rule.criteria, conditions=conditions)


def load_rules(text: str) -> Rules:
    """Parse and validate a rules file; raise RulesError naming every bad field (path, 中文, English)."""
    try:
        data: Any = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"第{mark.line + 1}行第{mark.column + 1}列" if mark else "未知位置"
        raise RulesError([("(yaml)", f"YAML 语法错误，{where}", str(exc))]) from exc
    if not isinstance(data, dict):
        raise RulesError([("(root)", "规则文件顶层应为映射（键: 值）", "top level must be a mapping")])
    try:
        return Rules.model_validate(data)
    except ValidationError as exc:
        raise RulesError([_describe(err) for err in exc.errors()]) from exc


def _describe(err: Any) -> tuple[str, str, str]:
    path = ".".join(str(p) for p in err["loc"]) or "(root)"
    kind = err["type"]
    if kind == "value_error":  # our own validators already speak both languages
        msg = str(err["msg"]).removeprefix("Value error, ")
        zh, _, en = msg.partition(" / ")
        return path, zh, en or msg
    zh = _ZH_ERRORS.get(kind, "取值无效")
    if "input" in err and kind not in ("missing",):
        zh += f"（收到 {err['input']!r}）"
    return path, zh, str(err["msg"])


def addressees(rules: Rules) -> list[tuple[str, str]]:
    """Every person or office the rules send to, with where it is named: (path in the file, id).

    These ids must exist in notify's directory, or a routed notification reaches nobody."""
    found: list[tuple[str, str]] = []
    table = rules.routing
    if table is not None:
        found += [(f"routing.leaders[{i}].id", leader.id) for i, leader in enumerate(table.leaders)]
        found.append(("routing.party_duty_room", table.party_duty_room))
        found += [(f"routing.cc_by_category.{cat}[{i}]", unit) for cat, units in table.cc_by_category.items()
                  for i, unit in enumerate(units)]
    found.append(("upward.addressee", rules.upward.addressee))
    return found


def unknown_addressees(rules: Rules, known: set[str], *, area_codes: Iterable[str] = ()) -> list[tuple[str, str, str]]:
    """Addressees of the rules missing from a directory, as RulesError problems (path, 中文, English).
    With ``cc_county_of_area`` the county duty rooms ``county:<code>`` of ``area_codes`` are checked too."""
    problems = [(path, f"{who!r} 不在通讯录中，按此规则发出的通知无人接收", f"{who!r} is not in the directory")
                for path, who in addressees(rules) if who not in known]
    if rules.routing is not None and rules.routing.cc_county_of_area:
        problems += [("routing.cc_county_of_area", f"'county:{code}' 不在通讯录中，该县区的抄送无人接收",
                      f"'county:{code}' is not in the directory") for code in sorted(area_codes)
                     if f"county:{code}" not in known]
    return problems
