"""CAP 1.2 / 1.1 (OASIS Common Alerting Protocol) XML → a contract-v1 report dict.

Parsed with defusedxml: any DTD, entity declaration or external reference is refused (XXE, billion
laughs), nothing is ever fetched. The result is a *raw* dict for ``parse_report`` (which validates the
area code and times like any other channel); the caller keeps the original XML bytes with the report.

Tolerance (documented per case in tests/unit/intake/test_cap.py): intake is a receiver, not a
validator, so schema-level slips that do not hide the meaning (elements out of order, a missing
``scope`` or ``certainty``, an empty ``references``, unknown extra elements) are accepted and what was
found is recorded under the extra field ``cap``. Refused: not well-formed XML, any DTD, a root that is not
a CAP 1.1/1.2 ``alert`` (CAP 1.0 included), a missing ``identifier`` or ``sent``, a bad timestamp.
XML signatures are *not* verified here (``cap.signature_verified`` is always False).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import defusedxml.ElementTree as DET
from defusedxml import DefusedXmlException

from .areas import AreaTable
from .categories import category_from_text
from .errors import ReportRejected

CAP_NAMESPACES = {"urn:oasis:names:tc:emergency:cap:1.2": "1.2", "urn:oasis:names:tc:emergency:cap:1.1": "1.1"}
OBSOLETE_NAMESPACES = {"http://www.incident.com/cap/1.0": "1.0"}
DSIG_NS = "http://www.w3.org/2000/09/xmldsig#"
# geocode valueNames that carry a GB/T 2260 code (12-digit statistical codes are cut to 6).
GB2260_GEOCODE_NAMES = frozenset({"gb2260", "gb/t 2260", "gb/t2260", "adcode", "cn-adcode", "行政区划代码", "areacode"})
# CAP <category> → contract category, when the event text says nothing more precise.
CAP_CATEGORY = {
    "geo": "geological", "met": "natural_disaster", "safety": "production_safety", "security": "social_security",
    "rescue": "other", "fire": "fire", "health": "public_health", "env": "environment", "transport": "road_traffic",
    "infra": "other", "cbrne": "production_safety", "other": "other",
}
_EVENT_WORDS_EN = {"earthquake": "earthquake", "tsunami": "natural_disaster", "fire": "fire", "flood": "natural_disaster"}
SEVERITY_ZH = {"Extreme": "特别严重", "Severe": "严重", "Moderate": "较重", "Minor": "一般", "Unknown": "未知"}
URGENCY_ZH = {"Immediate": "立即", "Expected": "预计1小时内", "Future": "近期", "Past": "已过去", "Unknown": "未知"}
MSGTYPE_ZH = {"Alert": "发布", "Update": "更新", "Cancel": "解除", "Ack": "确认", "Error": "更正"}


@dataclass(frozen=True)
class CapAlert:
    report: dict[str, Any]  # contract-v1 shaped, for parse_report
    version: str
    identifier: str
    sender: str
    msg_type: str
    status: str
    signed: bool
    original_xml: bytes


def parse_cap(
    xml_bytes: bytes,
    *,
    system: str,
    areas: AreaTable,
    max_bytes: int,
    default_area_code: str | None = None,
    preferred_languages: tuple[str, ...] = ("zh-cn", "zh"),
) -> CapAlert:
    """Map one CAP alert. ``system`` is the configured id of the early-warning system that sent it."""
    if len(xml_bytes) > max_bytes:
        raise ReportRejected("too_large", "", f"CAP文档过大：{len(xml_bytes)} 字节，上限 {max_bytes} 字节")
    root = _parse_xml(xml_bytes)
    ns, version = _namespace(root)
    q = _Finder(ns)
    identifier = q.text(root, "identifier")
    sent = q.text(root, "sent")
    if not identifier:
        raise ReportRejected("cap_missing_field", "identifier", "CAP文档缺少 identifier（预警编号）")
    if not sent:
        raise ReportRejected("cap_missing_field", "sent", "CAP文档缺少 sent（发布时间）")
    _check_time(sent, "sent")
    sender = q.text(root, "sender") or ""
    msg_type = q.text(root, "msgType") or "Alert"
    info = _choose_info(q, root, preferred_languages)
    cap_meta: dict[str, Any] = {
        "version": version, "identifier": identifier, "sender": sender, "sent": sent, "msgType": msg_type,
        "status": q.text(root, "status"), "scope": q.text(root, "scope"),
        "references": (q.text(root, "references") or "").split(),
        "signed": root.find(f"{{{DSIG_NS}}}Signature") is not None, "signature_verified": False,
    }
    report: dict[str, Any] = {
        "schema": "zhiban.report/1",
        "source": {"system": system, "unit": sender[:100] or system, "report_id": identifier[:128]},
        "channel": "network",
        "occurred_at": sent,
        "title": f"预警{MSGTYPE_ZH.get(msg_type, msg_type)}：{identifier}"[:200],
        "classification": "plain",
    }
    follow_up = _follow_up_of(cap_meta["references"], sender)
    if follow_up:
        report["follow_up_of"] = follow_up[:128]
    if info is not None:
        _map_info(q, info, report, cap_meta, areas, default_area_code)
    elif default_area_code:
        report["area_code"] = default_area_code
    report["cap"] = cap_meta
    return CapAlert(report, version, identifier, sender, msg_type, cap_meta["status"] or "", cap_meta["signed"], xml_bytes)


def _parse_xml(xml_bytes: bytes) -> ET.Element:
    try:
        root: ET.Element = DET.fromstring(xml_bytes, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException:
        raise ReportRejected("xml_forbidden", "", "XML含有DTD或实体声明，出于安全原因拒收") from None
    except ET.ParseError as exc:
        line, column = exc.position
        raise ReportRejected("not_xml", "", f"不是格式正确的XML（第 {line} 行第 {column + 1} 列）") from None
    return root


def _namespace(root: ET.Element) -> tuple[str, str]:
    ns, _, local = root.tag[1:].partition("}") if root.tag.startswith("{") else ("", "", root.tag)
    if ns in OBSOLETE_NAMESPACES:
        raise ReportRejected("cap_version_unsupported", "", f"CAP {OBSOLETE_NAMESPACES[ns]} 已废止，只接收CAP 1.1和1.2")
    if local != "alert" or ns not in CAP_NAMESPACES:
        raise ReportRejected("not_cap", "", f"不是CAP文档：根元素为 {local}，命名空间为 {ns or '（无）'}")
    return ns, CAP_NAMESPACES[ns]


class _Finder:
    def __init__(self, ns: str) -> None:
        self.ns = ns

    def all(self, node: ET.Element, name: str) -> list[ET.Element]:
        return node.findall(f"{{{self.ns}}}{name}")

    def text(self, node: ET.Element, name: str) -> str | None:
        found = node.find(f"{{{self.ns}}}{name}")
        value = (found.text or "").strip() if found is not None else ""
        return value or None


def _choose_info(q: _Finder, root: ET.Element, preferred: tuple[str, ...]) -> ET.Element | None:
    infos = q.all(root, "info")
    for wanted in preferred:
        for info in infos:
            if (q.text(info, "language") or "").lower().startswith(wanted):
                return info
    return infos[0] if infos else None


def _check_time(value: str, field: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise ReportRejected("cap_bad_time", field, f"CAP {field} 不是合法的时间：{value[:40]}") from None
    if parsed.tzinfo is None:
        raise ReportRejected("cap_bad_time", field, f"CAP {field} 缺少时区偏移：{value[:40]}")
    return parsed


def _follow_up_of(references: list[str], sender: str) -> str | None:
    """CAP references are "sender,identifier,sent" triples; the latest one from the same sender."""
    for triple in reversed(references):
        parts = triple.split(",")
        if len(parts) == 3 and parts[0] == sender and parts[1]:
            return parts[1]
    return None


def _map_info(
    q: _Finder, info: ET.Element, report: dict[str, Any], meta: dict[str, Any], areas: AreaTable, default_area: str | None
) -> None:
    event = q.text(info, "event") or ""
    for name in ("onset", "effective"):
        value = q.text(info, name)
        if value:
            # An observed event (earthquake) has its onset before the alert was sent: that is the event time.
            # A forecast warning's onset lies ahead; then the event the duty office records is the warning
            # itself, at ``sent``, and the expected onset is kept in ``cap.onset`` and in the text.
            meta[name] = value
            if _check_time(value, name) <= _check_time(meta["sent"], "sent"):
                report["occurred_at"] = value
            break
    if q.text(info, "senderName"):
        report["source"]["unit"] = (q.text(info, "senderName") or "")[:100]
    severity, urgency, certainty = q.text(info, "severity"), q.text(info, "urgency"), q.text(info, "certainty")
    meta.update(event=event, language=q.text(info, "language"), severity=severity, urgency=urgency,
                certainty=certainty, category=[c.text for c in q.all(info, "category")])
    report["title"] = (q.text(info, "headline") or event or report["title"])[:200]
    facts = f"【预警】事件：{event}；严重程度：{SEVERITY_ZH.get(severity or '', severity or '未注明')}；" \
            f"紧急程度：{URGENCY_ZH.get(urgency or '', urgency or '未注明')}"
    if meta.get("onset") and report["occurred_at"] != meta["onset"]:
        facts += f"；预计开始时间：{meta['onset']}"
    body = [facts, q.text(info, "description") or "", q.text(info, "instruction") or ""]
    report["text"] = "\n".join(part for part in body if part)[:20000]
    report["category"] = _category(event, meta["category"])
    areas_desc = [q.text(a, "areaDesc") or "" for a in q.all(info, "area")]
    if any(areas_desc):
        report["place"] = "；".join(d for d in areas_desc if d)[:200]
    codes = [_gb_code(q, g) for a in q.all(info, "area") for g in q.all(a, "geocode")]
    area_code = _pick_area([c for c in codes if c], areas) or default_area
    if area_code:
        report["area_code"] = area_code


def _category(event: str, cap_categories: list[str | None]) -> str:
    from_event = category_from_text(event)
    if from_event is not None and from_event.value != "other":
        return from_event.value
    lowered = event.lower()
    for word, category in _EVENT_WORDS_EN.items():
        if word in lowered:
            return category
    first = (cap_categories[0] or "other").strip().lower() if cap_categories else "other"
    return CAP_CATEGORY.get(first, "other")


def _gb_code(q: _Finder, geocode: ET.Element) -> str | None:
    name = (q.text(geocode, "valueName") or "").strip().lower()
    value = (q.text(geocode, "value") or "").strip()
    if name in GB2260_GEOCODE_NAMES and value.isdigit() and len(value) in (6, 9, 12):
        return value[:6]
    return None


def _pick_area(codes: list[str], areas: AreaTable) -> str | None:
    """The one area covering every GB/T 2260 code of the alert that lies in our region."""
    inside = [c for c in (areas.current(code) for code in codes) if c and areas.is_known(c)]
    if not inside:
        return codes[0] if codes else None  # parse_report will say precisely why it is not ours
    common = inside[0]
    while not all(areas.contains(common, c) for c in inside):
        parent = areas.parent(common)
        if parent is None:
            return inside[0]
        common = parent
    return common
