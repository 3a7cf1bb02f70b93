"""Read scheduling's official holiday table (a data file, not scheduling's code) into a TableCalendar."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

import yaml

from services.escalation.domain.calendar import TableCalendar


class HolidayFileError(ValueError):
    pass


def calendar_from_yaml(text: str) -> TableCalendar:
    """Every day of each break is a holiday (named after the break); makeup workdays are worked."""
    data: Any = yaml.safe_load(text) or {}
    if not isinstance(data, dict):
        raise HolidayFileError("节假日表格式错误：顶层应为 年份: {...} 的映射")
    holidays: dict[date, str] = {}
    makeup: set[date] = set()
    for year, entry in data.items():
        for i, brk in enumerate((entry or {}).get("breaks", [])):
            try:
                start, end, name = brk["start"], brk["end"], str(brk["name"])
            except (KeyError, TypeError) as exc:
                raise HolidayFileError(f"节假日表 {year}.breaks[{i}] 缺少 name/start/end") from exc
            day = start
            while day <= end:
                holidays[day] = name
                day += timedelta(days=1)
            makeup.update(brk.get("makeup_workdays") or [])
    return TableCalendar(holidays=holidays, makeup_workdays=frozenset(makeup))


def load_calendar(path: Path) -> TableCalendar:
    if not path.exists():
        return TableCalendar()
    return calendar_from_yaml(path.read_text(encoding="utf-8"))
