"""What a recipient reads when told of an incident (Chinese, from facts; no I/O)."""

from __future__ import annotations

from datetime import datetime

from services.escalation.domain.grading import LEVEL_NAMES

CATEGORY_NAMES = {
    "natural_disaster": "自然灾害",
    "earthquake": "地震",
    "geological": "地质灾害",
    "production_safety": "生产安全事故",
    "road_traffic": "道路交通事故",
    "fire": "火灾",
    "environment": "突发环境事件",
    "public_health": "公共卫生事件",
    "food_poisoning": "食物中毒",
    "social_security": "社会安全事件",
    "mass_incident": "群体性事件",
    "drowning": "溺水事件",
    "other": "其他",
}

PURPOSE_ASKS = {
    "duty_officer": "请核实情况，按规定报告。",
    "leader_in_charge": "请阅示。",
    "principal_leader": "请阅示。",
    "written_report": "此为书面报告，请阅示。",
}
SUBJECT_MARKS = {"written_report": "【值班信息·书面报告】"}


def casualty_phrase(deaths: int | None, serious: int | None, injuries: int | None, missing: int | None) -> str:
    parts = []
    for label, value in (("死亡", deaths), ("重伤", serious), ("受伤", injuries), ("失踪", missing)):
        if value:
            parts.append(f"{label}{value}人")
    if parts:
        return "，".join(parts)
    if all(v is None for v in (deaths, serious, injuries, missing)):
        return "伤亡情况不详"
    return "暂无人员伤亡"


def incident_notice(
    *,
    title: str,
    level: str | None,
    category: str,
    place: str | None,
    occurred_local: datetime | None,
    casualties: str,
    unit: str,
    purpose: str,
) -> tuple[str, str]:
    level_text = f"{LEVEL_NAMES[level]}（{level}级）" if level else "待定级"
    subject = f"{SUBJECT_MARKS.get(purpose, '【值班信息】')}{title}"
    when = f"{occurred_local:%m月%d日%H时%M分}" if occurred_local else "时间不详"
    body = (
        f"{unit}报：{when}，{place or '地点不详'}发生{CATEGORY_NAMES.get(category, category)}，"
        f"{casualties}。初步定级：{level_text}。{PURPOSE_ASKS.get(purpose, '请知悉。')}"
    )
    return subject, body
