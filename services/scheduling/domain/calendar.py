"""The official holiday calendar: the State Council's schedule per year, never guessed.

The table is checked in (services/scheduling/data/holidays.yaml) and loaded once through
`OfficialCalendar.load`; an administrator adds next year with `add_year` when the notice appears.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field

DEFAULT_TABLE = Path(__file__).resolve().parents[1] / "data" / "holidays.yaml"

# From 2025 the statutory days total 13 (春节 4, 劳动节 2, 国庆 3, others 1), NORMS §10.
STATUTORY_DAYS_FROM_2025 = 13

# The regulation still speaks of 7-day rotations for these two and 1 day for the rest.
REGULATION_DAYS = {"春节": 7, "国庆节": 7}


class CalendarYearMissing(LookupError):
    """A date in a year for which the State Council schedule has not been entered."""

    def __init__(self, year: int) -> None:
        self.year = year
        super().__init__(
            f"{year}年的国务院节假日安排尚未录入官方日历，无法判断工作日或节假日；"
            f"请管理员在国务院办公厅通知发布后添加{year}年的安排"
        )


class CalendarEntryInvalid(ValueError):
    """An administrator's entry for a year that contradicts itself."""


class NoticeSource(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    notice: str = Field(min_length=1)  # e.g. 国办发明电〔2025〕7号
    title: str = Field(min_length=1)
    issued: date
    url: str = ""


class HolidayBreak(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1)
    start: date
    end: date
    statutory_days: tuple[date, ...]
    makeup_workdays: tuple[date, ...] = ()

    @property
    def days(self) -> list[date]:
        return [self.start + timedelta(days=i) for i in range((self.end - self.start).days + 1)]

    @property
    def length(self) -> int:
        return (self.end - self.start).days + 1


class YearSchedule(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    source: NoticeSource
    breaks: tuple[HolidayBreak, ...]


class RegulationGap(BaseModel):
    """How far the real break is from the regulation's rotation length — shown, not hidden."""

    model_config = ConfigDict(frozen=True)

    name: str
    regulation_days: int
    official_days: int
    difference: int
    note: str


def _check_year(year: int, schedule: YearSchedule) -> None:
    """Refuse an entry that contradicts itself; every message names the break and the date."""
    problems: list[str] = []
    covered: dict[date, str] = {}
    for brk in schedule.breaks:
        if brk.end < brk.start:
            problems.append(f"“{brk.name}”结束日期{brk.end}早于开始日期{brk.start}")
            continue
        if year not in {brk.start.year, brk.end.year}:
            problems.append(f"“{brk.name}”（{brk.start}至{brk.end}）不在{year}年")
        for d in brk.days:
            if d in covered:
                problems.append(f"“{brk.name}”与“{covered[d]}”在{d}重叠")
            covered[d] = brk.name
        for d in brk.statutory_days:
            if not brk.start <= d <= brk.end:
                problems.append(f"“{brk.name}”的法定假日{d}不在放假区间{brk.start}至{brk.end}内")
        for d in brk.makeup_workdays:
            if brk.start <= d <= brk.end:
                problems.append(f"“{brk.name}”的调休上班日{d}落在放假区间内")
            elif d.weekday() < 5:
                problems.append(f"“{brk.name}”的调休上班日{d}是周{'一二三四五'[d.weekday()]}，本来就是工作日")
    for brk in schedule.breaks:
        for d in brk.makeup_workdays:
            if d in covered:
                problems.append(f"调休上班日{d}落在“{covered[d]}”放假区间内")
    total = sum(len(b.statutory_days) for b in schedule.breaks)
    if year >= 2025 and total != STATUTORY_DAYS_FROM_2025:
        problems.append(f"{year}年法定假日共{total}天，应为{STATUTORY_DAYS_FROM_2025}天（自2025年起）")
    if problems:
        raise CalendarEntryInvalid(f"{year}年节假日安排有误：" + "；".join(problems))


class OfficialCalendar:
    def __init__(self, years: dict[int, YearSchedule] | None = None) -> None:
        self._years: dict[int, YearSchedule] = {}
        self._break_of: dict[date, HolidayBreak] = {}
        self._makeup: set[date] = set()
        for year, schedule in (years or {}).items():
            self.add_year(year, schedule)

    @classmethod
    def load(cls, path: Path | str = DEFAULT_TABLE) -> OfficialCalendar:
        raw = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
        return cls({int(year): YearSchedule.model_validate(entry) for year, entry in raw.items()})

    @property
    def years(self) -> list[int]:
        return sorted(self._years)

    def add_year(self, year: int, schedule: YearSchedule | dict[str, object], *, replace: bool = False) -> None:
        """An administrator enters a newly published year; a correction must say `replace=True`."""
        entry = schedule if isinstance(schedule, YearSchedule) else YearSchedule.model_validate(schedule)
        if year in self._years and not replace:
            raise CalendarEntryInvalid(f"{year}年的节假日安排已存在；如需更正请明确选择替换")
        _check_year(year, entry)
        if year in self._years:
            self._forget(year)
        self._years[year] = entry
        for brk in entry.breaks:
            for d in brk.days:
                self._break_of[d] = brk
            self._makeup.update(brk.makeup_workdays)

    def _forget(self, year: int) -> None:
        for brk in self._years.pop(year).breaks:
            for d in brk.days:
                self._break_of.pop(d, None)
            self._makeup.difference_update(brk.makeup_workdays)

    def source(self, year: int) -> NoticeSource:
        return self._schedule(year).source

    def _schedule(self, year: int) -> YearSchedule:
        if year not in self._years:
            raise CalendarYearMissing(year)
        return self._years[year]

    def _require(self, d: date) -> None:
        if d.year not in self._years:
            raise CalendarYearMissing(d.year)

    def is_holiday(self, d: date) -> bool:
        """A day inside an official break (statutory, weekend or moved day alike)."""
        self._require(d)
        return d in self._break_of

    def is_workday(self, d: date) -> bool:
        self._require(d)
        if d in self._makeup:
            return True
        return d not in self._break_of and d.weekday() < 5

    def is_makeup_workday(self, d: date) -> bool:
        self._require(d)
        return d in self._makeup

    def holiday_name(self, d: date) -> str | None:
        self._require(d)
        brk = self._break_of.get(d)
        return brk.name if brk else None

    def holiday_break(self, d: date) -> HolidayBreak | None:
        self._require(d)
        return self._break_of.get(d)

    def breaks(self, year: int) -> list[HolidayBreak]:
        return list(self._schedule(year).breaks)

    def last_workday_on_or_before(self, d: date) -> date:
        while not self.is_workday(d):
            d -= timedelta(days=1)
        return d


def regulation_gaps(calendar: OfficialCalendar, year: int) -> list[RegulationGap]:
    """The regulation's 7-day rotation for 春节/国庆 against the real break of that year."""
    gaps: list[RegulationGap] = []
    for brk in calendar.breaks(year):
        for festival, regulation_days in REGULATION_DAYS.items():
            if festival not in brk.name:
                continue
            diff = brk.length - regulation_days
            if diff == 0:
                note = f"{year}年{brk.name}放假{brk.length}天，与制度规定的{regulation_days}天一致"
            else:
                more_less = "多" if diff > 0 else "少"
                note = (
                    f"{year}年{brk.name}实际放假{brk.length}天（{brk.start:%m-%d}至{brk.end:%m-%d}），"
                    f"比制度规定的{regulation_days}天{more_less}{abs(diff)}天；值班按实际放假安排"
                )
            gaps.append(RegulationGap(name=brk.name, regulation_days=regulation_days,
                                      official_days=brk.length, difference=diff, note=note))
    return gaps
