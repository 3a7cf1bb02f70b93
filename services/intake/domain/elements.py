"""Required elements (要素齐全, NORMS.md §4): list what is missing, in Chinese. Never blocks a report."""

from __future__ import annotations

from shared.contracts import ReportV1

_ELEMENT_NAMES = {
    "occurred_at": "事发时间",
    "place": "事发地点",
    "area_code": "行政区划代码",
    "casualties": "伤亡情况",
    "contact": "报送人及联系电话",
    "measures": "已采取措施",
}


def missing_elements(report: ReportV1) -> list[str]:
    missing: list[str] = []
    if report.occurred_at is None:
        missing.append("occurred_at")
    if not (report.place or "").strip():
        missing.append("place")
    if report.area_code is None:
        missing.append("area_code")
    c = report.casualties
    if all(v is None for v in (c.deaths, c.injuries, c.missing, c.trapped)):
        missing.append("casualties")
    if not (report.contact.name and report.contact.phone):
        missing.append("contact")
    if not (report.measures or "").strip():
        missing.append("measures")
    return [_ELEMENT_NAMES[m] for m in missing]


def describe_missing(names: list[str]) -> str:
    return "缺少要素：" + "、".join(names) if names else ""
