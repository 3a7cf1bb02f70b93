"""《突发公共事件直报信息》 as a structured document (R-13; NORMS §5). Rendering to DOCX/PDF is I/O (render.py).

Body order follows NORMS §5: how and when received → what happened → casualties and losses → response
→ trend and next steps → requests. Fixed wording comes from templates/bulletin.yaml.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import yaml

from services.escalation.domain.calendar import local
from services.escalation.domain.clocks import stage_name

TEMPLATE_PATH = Path(__file__).resolve().parents[1] / "templates" / "bulletin.yaml"


class BulletinError(ValueError):
    pass


@dataclass(frozen=True)
class BulletinFacts:
    """Verified facts only: the officer (and the approver) stand behind every field."""

    incident_id: str
    issue_no: int
    follow_up_no: int  # 0 = 初报, n = 续报n; final reports set is_final
    signer: str
    issued_at: datetime
    received_at: datetime
    source_unit: str
    received_via: str  # phone | fax | network | sms | other
    occurred_at: datetime | None
    place: str  # area name + place, e.g. 某县某镇某村
    event: str  # e.g. 一起道路交通事故
    what_happened: str
    deaths: int | None = None
    missing: int | None = None
    injuries: int | None = None
    trapped: int | None = None
    economic_loss_cny: float | None = None
    response: str = ""  # leaders present, measures taken
    trend: str = ""
    next_steps: str = ""
    requests: str = ""
    to: tuple[str, ...] = ()  # 报
    send: tuple[str, ...] = ()  # 送
    cc: tuple[str, ...] = ()  # 抄送
    contact_name: str = ""
    contact_phone: str = ""
    copies: int = 0
    is_final: bool = False


@dataclass(frozen=True)
class Masthead:
    name: str
    issue_line: str
    office: str
    signer_line: str
    date_line: str


@dataclass(frozen=True)
class Bulletin:
    incident_id: str
    masthead: Masthead
    title: str
    paragraphs: list[str]
    distribution: list[tuple[str, str]] = field(default_factory=list)  # (报/送/抄送, names)
    contact: str = ""
    copies: str = ""

    def plain_text(self) -> str:
        m = self.masthead
        lines = [m.name, m.issue_line, f"{m.office}　　{m.signer_line}　　{m.date_line}", "", self.title, ""]
        lines += self.paragraphs + [""] + [f"{label}：{names}" for label, names in self.distribution]
        return "\n".join(x for x in lines + [self.contact, self.copies] if x is not None)


def load_template(text: str | None = None) -> dict[str, object]:
    """The fixed wording; read once at start-up (explicit loader, not at compose time)."""
    data = yaml.safe_load(text if text is not None else TEMPLATE_PATH.read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise BulletinError("直报信息模板格式错误：顶层应为映射")
    return data


def cn_time(moment: datetime) -> str:
    t = local(moment)
    return f"{t.year}年{t.month}月{t.day}日{t.hour}时{t.minute:02d}分"


def compose(facts: BulletinFacts, template: dict[str, object]) -> Bulletin:
    tpl: dict[str, str] = {k: v for k, v in template.items() if isinstance(v, str)}
    labels = template.get("distribution_labels") or {}
    channels = template.get("channels") or {}
    if not isinstance(labels, dict) or not isinstance(channels, dict):
        raise BulletinError("直报信息模板格式错误：distribution_labels 与 channels 应为映射")
    if not facts.signer.strip():
        raise BulletinError("直报信息必须有签发人")
    if not facts.what_happened.strip():
        raise BulletinError("直报信息必须写明事件经过")
    stage = "终报" if facts.is_final else stage_name(facts.follow_up_no)
    issue = tpl["issue_line"].format(issue_no=facts.issue_no)
    if stage != "初报":
        issue += tpl["follow_up_line"].format(stage=stage)
    masthead = Masthead(tpl["masthead_name"], issue, tpl["issuing_office"],
                        tpl["signer_line"].format(signer=facts.signer), cn_time(facts.issued_at))
    casualty_phrase = _casualty_phrase(facts)
    title = f"{facts.place}发生{facts.event}" + (f"造成{casualty_phrase}" if casualty_phrase else "")
    if stage != "初报":
        title += f"（{stage}）"
    received = tpl["received_sentence"].format(
        received_at=cn_time(facts.received_at), office=tpl["issuing_office"], source_unit=facts.source_unit,
        via=channels.get(facts.received_via, ""))
    when = f"{cn_time(facts.occurred_at)}，" if facts.occurred_at else ""
    paragraphs = [received + when + f"{facts.place}发生{facts.event}。" + facts.what_happened.strip()]
    paragraphs.append(_losses(facts, tpl, casualty_phrase))
    if facts.response.strip():
        paragraphs.append(_sentence(tpl["response_prefix"] + facts.response))
    trend = "".join(p for p in (
        _sentence(tpl["trend_prefix"] + facts.trend) if facts.trend.strip() else "",
        _sentence(tpl["next_prefix"] + facts.next_steps) if facts.next_steps.strip() else "",
    ))
    if trend:
        paragraphs.append(trend)
    if facts.requests.strip():
        paragraphs.append(_sentence(tpl["requests_prefix"] + facts.requests))
    if not facts.is_final:
        paragraphs.append(tpl["follow_up_promise"])
    distribution = [(str(labels.get(key, key)), "、".join(names))
                    for key, names in (("to", facts.to), ("send", facts.send), ("cc", facts.cc)) if names]
    contact = tpl["contact_line"].format(name=facts.contact_name, phone=facts.contact_phone) \
        if facts.contact_name else ""
    copies = tpl["copies_line"].format(copies=facts.copies) if facts.copies else ""
    return Bulletin(facts.incident_id, masthead, title, paragraphs, distribution, contact, copies)


def _sentence(text: str) -> str:
    text = text.strip()
    return text if text.endswith(("。", "！", "？", "；")) else text + "。"


def _casualty_phrase(facts: BulletinFacts) -> str:
    parts = [f"{n}人{word}" for n, word in ((facts.deaths, "死亡"), (facts.missing, "失踪"),
                                             (facts.injuries, "受伤"), (facts.trapped, "被困")) if n]
    return "、".join(parts)


def _losses(facts: BulletinFacts, tpl: dict[str, str], phrase: str) -> str:
    known = [v for v in (facts.deaths, facts.missing, facts.injuries, facts.trapped) if v is not None]
    if phrase:
        text = f"事件已造成{phrase}。"
    elif known:
        text = tpl["casualties_none"]
    else:
        text = f"人员伤亡情况{tpl['unknown']}。"
    if facts.economic_loss_cny is not None:
        text += f"直接经济损失约{facts.economic_loss_cny / 10000:g}万元。"
    return text
