"""Chinese message texts from templates (issue 5 §8). The texts live in services/notify/templates/
(``string.Template``, ``${field}``), so wording is changed there, not in code.

``load_templates()`` reads the folder once at start-up; rendering is pure. A missing field is an
error naming the template and the field — a half-filled alert must never go out.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from string import Template

from shared.contracts.events import Level
from shared.contracts.report import Casualties

TEMPLATE_DIR = Path(__file__).resolve().parent.parent / "templates"
LEVEL_NAMES = {Level.I: "特别重大", Level.II: "重大", Level.III: "较大", Level.IV: "一般"}
_CASUALTY_NAMES = (
    ("deaths", "死亡"),
    ("missing", "失踪"),
    ("trapped", "被困"),
    ("serious_injuries", "重伤"),
    ("injuries", "受伤"),
)


class TemplateError(ValueError):
    pass


def load_templates(directory: Path = TEMPLATE_DIR) -> dict[str, Template]:
    """Every ``*.txt`` in the folder, keyed by file stem; trailing newlines dropped."""
    found = {path.stem: Template(path.read_text(encoding="utf-8").rstrip("\n")) for path in directory.glob("*.txt")}
    if not found:
        raise TemplateError(f"模板目录{directory}中没有模板")
    return found


def render(templates: dict[str, Template], name: str, **fields: object) -> str:
    if name not in templates:
        raise TemplateError(f"没有名为“{name}”的消息模板")
    try:
        return templates[name].substitute({key: str(value) for key, value in fields.items()})
    except KeyError as missing:
        raise TemplateError(f"模板“{name}”缺少字段{missing}") from None
    except ValueError as bad:
        raise TemplateError(f"模板“{name}”格式错误：{bad}") from None


def level_name(level: Level | None) -> str:
    """``Level.II -> 重大``; ungraded says so rather than guessing."""
    return LEVEL_NAMES[level] if level is not None else "（未定级）"


def casualties_text(casualties: Casualties | None, *, brief: bool = False) -> str:
    """``死亡3人、受伤5人，失踪情况不详``. None is 不详 and 0 is 暂无 (the contract's meaning).

    ``brief`` (SMS) folds the unknown items into ``其他情况不详`` to keep the alert in one part.
    """
    if casualties is None:
        return "人员伤亡情况不详"
    known = [(label, getattr(casualties, field)) for field, label in _CASUALTY_NAMES]
    counts = [f"{label}{value}人" for label, value in known if value]
    unknown = [label for label, value in known if value is None]
    if not counts and not unknown:
        return "暂无人员伤亡"
    if not counts and len(unknown) == len(known):
        return "人员伤亡情况不详"
    text = "、".join(counts) if counts else "暂无人员死亡"
    if unknown and counts:
        text += "，其他情况不详" if brief else "，" + "、".join(unknown) + "情况不详"
    return text


@dataclass(frozen=True)
class IncidentAlert:
    office: str  # e.g. 市政府办公室
    title: str
    level: Level | None
    place: str
    casualties: Casualties | None
    ask: str  # what the recipient is asked to do, e.g. 立即赶赴现场
    ack_code: str
    ack_link: str = ""

    def fields(self, *, brief: bool = False) -> dict[str, str]:
        return {
            "office": self.office,
            "title": self.title,
            "level_name": level_name(self.level),
            "place": self.place or "地点不详",
            "casualties": casualties_text(self.casualties, brief=brief),
            "ask": self.ask,
            "ack_code": self.ack_code,
            "ack_link": self.ack_link or "（无）",
        }


def render_incident(templates: dict[str, Template], alert: IncidentAlert, *, channel: str = "sms") -> str:
    """``channel`` picks ``incident_<channel>`` (sms, voice, email)."""
    return render(templates, f"incident_{channel}", **alert.fields(brief=channel == "sms"))


# -- fax cover page ------------------------------------------------------------------------------

URGENCIES = ("特急", "加急", "平急")


@dataclass(frozen=True)
class FaxCover:
    """The 传真电报 cover sheet under the office's masthead."""

    masthead: str  # e.g. 某某市人民政府办公室
    number: str  # 编号, e.g. 市府办传〔2026〕12号
    urgency: str
    sender: str
    signed_by: str
    title: str
    recipients: tuple[str, ...]
    pages: int  # including this page
    date: str  # already formatted, e.g. 2026年11月28日
    contact: str = ""

    def __post_init__(self) -> None:
        if self.urgency not in URGENCIES:
            raise TemplateError(f"传真等级应为{'、'.join(URGENCIES)}之一，而不是“{self.urgency}”")
        if self.pages < 1:
            raise TemplateError("传真页数至少为1页（含封面）")
        if not self.recipients:
            raise TemplateError("传真没有收电单位")


def fax_cover_lines(templates: dict[str, Template], cover: FaxCover) -> list[str]:
    text = render(
        templates,
        "fax_cover",
        masthead=cover.masthead,
        urgency=cover.urgency,
        number=cover.number,
        sender=cover.sender,
        signed_by=cover.signed_by,
        title=cover.title,
        recipients="、".join(cover.recipients),
        pages=cover.pages,
        date=cover.date,
        contact=cover.contact or "值班室",
    )
    return text.split("\n")
