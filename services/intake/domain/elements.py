"""Required elements (要素齐全, NORMS.md §4): list what is missing, in Chinese. Never blocks a report.

NORMS.md §4 asks for casualties to be *explicit*: 0 (暂无) is a stated fact and counts as given;
None (不详) is not stated and is listed as missing. The same holds for every element: an empty
string or a value the sender never set is missing, an explicit zero is not.
"""

from __future__ import annotations

from shared.contracts import ReportV1

# Element key → the Chinese name shown to the duty officer, in the order NORMS.md §4 lists them.
ELEMENT_NAMES: dict[str, str] = {
    "received_at": "接报时间",
    "contact": "报送人及联系电话",
    "occurred_at": "事发时间",
    "place": "事发地点",
    "area_code": "行政区划代码",
    "category": "事件类别",
    "casualties": "伤亡情况",
    "impact_scope": "影响范围",
    "trend": "发展趋势",
    "measures": "已采取措施",
}
_ELEMENT_NAMES = ELEMENT_NAMES  # kept for callers of the first version

# The four casualty figures NORMS.md §4 names (serious_injuries is a detail of injuries, not required).
CASUALTY_FIELDS: dict[str, str] = {"deaths": "死亡", "missing": "失踪", "injuries": "受伤", "trapped": "被困"}

# The contract v1 has no fields for scope of impact and trend; a sender may add them as extra fields.
# They are only checked when the caller asks (see missing_element_keys), so that v1 reports are not
# all flagged for fields they cannot carry.
OPTIONAL_EXTRA_ELEMENTS = ("impact_scope", "trend")


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def missing_casualty_fields(report: ReportV1) -> list[str]:
    """The casualty figures left 不详 (None), in Chinese: ["失踪", "被困"]."""
    c = report.casualties
    return [zh for key, zh in CASUALTY_FIELDS.items() if getattr(c, key) is None]


def missing_element_keys(report: ReportV1, *, check_scope_and_trend: bool = False) -> list[str]:
    """Keys of ELEMENT_NAMES that the report does not state."""
    missing: list[str] = []
    if report.received_at is None:
        missing.append("received_at")
    if _blank(report.contact.name) or _blank(report.contact.phone):
        missing.append("contact")
    if report.occurred_at is None:
        missing.append("occurred_at")
    if _blank(report.place):
        missing.append("place")
    if report.area_code is None:
        missing.append("area_code")
    if "category" not in report.model_fields_set:  # the contract defaults to "other": not stated
        missing.append("category")
    if missing_casualty_fields(report):
        missing.append("casualties")
    if check_scope_and_trend:
        extra = report.model_extra or {}
        missing.extend(key for key in OPTIONAL_EXTRA_ELEMENTS if _blank(extra.get(key)))
    if _blank(report.measures):
        missing.append("measures")
    return missing


def missing_elements(report: ReportV1, *, check_scope_and_trend: bool = False) -> list[str]:
    """Chinese names of the missing elements; casualties name which figures are 不详.

    >>> missing_elements(report)  # doctest: +SKIP
    ['事发地点', '伤亡情况（失踪、被困不详）']
    """
    names: list[str] = []
    for key in missing_element_keys(report, check_scope_and_trend=check_scope_and_trend):
        if key == "casualties":
            names.append(f"伤亡情况（{'、'.join(missing_casualty_fields(report))}不详）")
        else:
            names.append(ELEMENT_NAMES[key])
    return names


def describe_missing(names: list[str]) -> str:
    """"缺少要素：事发地点、伤亡情况" — empty when nothing is missing."""
    return "缺少要素：" + "、".join(names) if names else ""
