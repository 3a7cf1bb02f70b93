"""Raw input (bytes or a decoded dict) → ReportV1, or ReportRejected naming the field, in Chinese.

Only input that cannot become a report is refused; a report lacking elements is accepted (elements.py
lists what is missing). Lenient where units differ in habit: category as a Chinese word, casualties as
"3"/"3人"/"暂无"/"不详", an area code as a number, a withdrawn area code (mapped to its successor).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import ValidationError

from shared.contracts import ReportV1
from shared.contracts.report import Category

from .areas import AreaTable
from .categories import DEFAULT_CATEGORY_SYNONYMS, category_from_text
from .errors import ReportRejected

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
DEFAULT_FUTURE_TOLERANCE = timedelta(minutes=10)  # clocks of county systems drift; more is a typo

FIELD_NAMES_ZH: dict[str, str] = {
    "schema": "协议版本", "source": "报送来源", "source.system": "报送系统", "source.unit": "报送单位",
    "source.report_id": "报告编号", "channel": "报送渠道", "received_at": "接报时间", "occurred_at": "事发时间",
    "area_code": "行政区划代码", "place": "事发地点", "category": "事件类别", "title": "标题", "text": "正文",
    "casualties": "伤亡情况", "casualties.deaths": "死亡人数", "casualties.injuries": "受伤人数",
    "casualties.serious_injuries": "重伤人数", "casualties.missing": "失踪人数", "casualties.trapped": "被困人数",
    "evacuated": "疏散人数", "economic_loss_cny": "直接经济损失", "measures": "已采取措施", "contact": "联系人",
    "contact.name": "联系人姓名", "contact.phone": "联系电话", "classification": "密级", "follow_up_of": "续报所属报告编号",
}
_ZERO_WORDS = {"暂无", "无", "没有", "零", "0人", "未发现"}
_UNKNOWN_WORDS = {"不详", "未知", "待核实", "待查", "不明", "", "-"}
_COUNT = re.compile(r"^\s*(\d{1,9})\s*(人|名|个|例)?\s*$")


def field_zh(path: str) -> str:
    return FIELD_NAMES_ZH.get(path, path)


def parse_report(
    raw: bytes | dict[str, Any],
    *,
    received_at: datetime,
    now: datetime,
    areas: AreaTable,
    max_bytes: int,
    future_tolerance: timedelta = DEFAULT_FUTURE_TOLERANCE,
    synonyms: Mapping[str, Category] = DEFAULT_CATEGORY_SYNONYMS,
) -> ReportV1:
    """Validate and normalise one report. Times come out in UTC; ``received_at`` is set when absent."""
    data = _decode(raw, max_bytes)
    data = _prenormalise(data, areas, synonyms)
    try:
        report = ReportV1.model_validate(data)
    except ValidationError as exc:
        raise _rejection_from(exc) from None
    report = report.with_received_at(received_at)
    report = _to_utc(report)
    _check_times(report, now, future_tolerance)
    return report


# ---- bytes → dict -------------------------------------------------------------------------------
def _reject_constant(name: str) -> Any:
    raise ValueError(name)


def _decode(raw: bytes | dict[str, Any], max_bytes: int) -> dict[str, Any]:
    if isinstance(raw, dict):
        size = len(json.dumps(raw, ensure_ascii=False, default=str).encode("utf-8", "surrogatepass"))
        data: Any = raw
    else:
        size = len(raw)
        if size > max_bytes:
            raise ReportRejected("too_large", "", f"报文过大：{size} 字节，上限 {max_bytes} 字节")
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise ReportRejected("not_utf8", "", f"报文不是UTF-8编码（第 {exc.start + 1} 字节起无法解码）") from None
        try:
            data = json.loads(text, parse_constant=_reject_constant)
        except (ValueError, RecursionError) as exc:
            where = f"（第 {exc.lineno} 行第 {exc.colno} 列）" if isinstance(exc, json.JSONDecodeError) else ""
            raise ReportRejected("not_json", "", f"报文不是合法的JSON{where}") from None
    if size > max_bytes:
        raise ReportRejected("too_large", "", f"报文过大：{size} 字节，上限 {max_bytes} 字节")
    if not isinstance(data, dict):
        raise ReportRejected("not_object", "", "报文必须是一个JSON对象（{…}）")
    _check_text(data, "")
    return data


def _check_text(value: Any, path: str) -> None:
    """Lone surrogates ("\\ud800") decode from JSON but cannot be stored or shown: refuse them here."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise ReportRejected("invalid_text", path, f"{field_zh(path)}含有无效字符") from None
    elif isinstance(value, dict):
        for key, item in value.items():
            _check_text(key, path)
            if "\x00" in key:  # no store can keep such a field name (MongoDB refuses it)
                shown = key.replace("\x00", "\\u0000")[:40]
                raise ReportRejected("invalid_field_name", f"{path}.{shown}" if path else shown,
                                     f"字段名“{shown}”含有空字符（\\u0000），无法保存，请删除或改名")
            _check_text(item, f"{path}.{key}" if path else str(key))
    elif isinstance(value, list):
        for item in value:
            _check_text(item, path)


# ---- lenient field forms ------------------------------------------------------------------------
def _prenormalise(data: dict[str, Any], areas: AreaTable, synonyms: Mapping[str, Category]) -> dict[str, Any]:
    data = dict(data)
    if isinstance(data.get("category"), str):
        written = data["category"]
        category = category_from_text(written, synonyms)
        if category is None:
            data.setdefault("category_text", written)  # kept for the officer; filed as "other"
            category = Category.other
        elif category.value != written:
            data.setdefault("category_text", written)
        data["category"] = category.value
    if isinstance(data.get("casualties"), dict):
        data["casualties"] = {k: _count(v, f"casualties.{k}") for k, v in data["casualties"].items()}
    if "evacuated" in data:
        data["evacuated"] = _count(data["evacuated"], "evacuated")
    if "area_code" in data:
        data.update(_area(data["area_code"], areas))
    return data


def _count(value: Any, path: str) -> Any:
    if isinstance(value, bool):
        raise ReportRejected("invalid_field", path, f"{field_zh(path)}应为人数，不能是真/假值")
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        stripped = value.strip()
        if stripped in _ZERO_WORDS:
            return 0
        if stripped in _UNKNOWN_WORDS:
            return None
        match = _COUNT.match(stripped)
        if match:
            return int(match.group(1))
        raise ReportRejected("invalid_field", path, f"{field_zh(path)}应为人数（如 3、\"暂无\"、\"不详\"），收到：{value[:20]}")
    return value  # ints, None and wrong types go on to the contract's own check


def _area(value: Any, areas: AreaTable) -> dict[str, Any]:
    if value is None:
        return {"area_code": None}
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or not re.fullmatch(r"\d{6}", value.strip()):
        raise ReportRejected("invalid_field", "area_code", "行政区划代码应为6位数字（GB/T 2260）")
    code = value.strip()
    current = areas.current(code)
    if current is None:
        raise ReportRejected("unknown_area", "area_code", f"行政区划代码 {code} 不存在（GB/T 2260）")
    if not areas.is_known(current):
        region = areas.full_name(areas.region or "") or areas.region
        raise ReportRejected("area_outside_region", "area_code", f"行政区划代码 {code}（{areas.full_name(current)}）不在本辖区{region}内")
    if current != code:
        return {"area_code": current, "area_code_reported": code}  # withdrawn code: keep what was sent
    return {"area_code": code}


# ---- after the contract -------------------------------------------------------------------------
def _to_utc(report: ReportV1) -> ReportV1:
    update = {
        name: value.astimezone(UTC)
        for name in ("received_at", "occurred_at")
        if (value := getattr(report, name)) is not None and value.tzinfo is not UTC
    }
    return report.model_copy(update=update) if update else report


def _check_times(report: ReportV1, now: datetime, tolerance: timedelta) -> None:
    for name in ("occurred_at", "received_at"):
        value: datetime | None = getattr(report, name)
        if value is None:
            continue
        if value < EPOCH:
            raise ReportRejected("before_epoch", name, f"{field_zh(name)}早于1970年，请核对")
        if value > now + tolerance:
            raise ReportRejected("in_future", name, f"{field_zh(name)}晚于当前时间（允许误差 {int(tolerance.total_seconds() // 60)} 分钟），请核对")
    if report.occurred_at and report.received_at and report.occurred_at > report.received_at + tolerance:
        raise ReportRejected("in_future", "occurred_at", "事发时间晚于接报时间，请核对")


_ERROR_TEXT: dict[str, str] = {
    "missing": "缺少必填项", "string_type": "应为文字", "int_type": "应为整数", "int_parsing": "应为整数",
    "int_from_float": "应为整数", "float_type": "应为数字", "float_parsing": "应为数字",
    "greater_than_equal": "不能为负数", "string_too_short": "不能为空", "string_too_long": "过长",
    "string_pattern_mismatch": "格式不正确", "enum": "取值不在允许范围内", "literal_error": "取值不正确",
    "timezone_aware": "须带时区偏移（如 +08:00）", "datetime_parsing": "不是合法的时间（ISO 8601）",
    "datetime_type": "不是合法的时间（ISO 8601）", "datetime_from_date_parsing": "不是合法的时间（ISO 8601）",
    "model_type": "应为JSON对象", "model_attributes_type": "应为JSON对象", "dict_type": "应为JSON对象",
}


def _rejection_from(exc: ValidationError) -> ReportRejected:
    first = exc.errors(include_url=False)[0]
    path = ".".join(str(p) for p in first["loc"])
    kind = first["type"]
    code = "missing_field" if kind == "missing" else "invalid_field"
    if path == "schema":
        return ReportRejected("bad_schema", path, "协议版本应为 \"zhiban.report/1\"")
    detail = _ERROR_TEXT.get(kind, "不符合报送规范")
    if kind == "enum" and "expected" in first.get("ctx", {}):
        detail += f"（可选：{first['ctx']['expected']}）"
    return ReportRejected(code, path, f"{field_zh(path)}{detail}")
