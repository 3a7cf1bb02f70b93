"""Escalation's grading as intake keeps it on the incident (for the level filter and the timeline).

Pure. Gradings may arrive twice (redelivery) or out of order (a retry overtaken by a newer one); each
carries an **order** that only grows for one incident: the time it was graded (``graded_at``, UTC), then
escalation's revision of the incident, which its outbox puts in the event id
(``incident.graded:<incident>:<revision>``) and which breaks ties when a replayed clock stands still.
A grading is recorded only if its order is greater than the one recorded.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from shared.contracts import IncidentGraded

LEVEL_ZH = {"I": "特别重大", "II": "重大", "III": "较大", "IV": "一般"}
LEVELS = tuple(LEVEL_ZH)
_REVISION = re.compile(r":(\d{1,12})$")


def revision_of(event_id: str | None) -> int:
    """Escalation's revision from the event id; 0 when the id does not carry one."""
    found = _REVISION.search(event_id or "")
    return int(found.group(1)) if found else 0


def grading_order(graded_at: datetime, event_id: str | None) -> str:
    """A text that sorts as the gradings of one incident were made (fixed width: compares as a string)."""
    return f"{graded_at.astimezone(UTC):%Y-%m-%dT%H:%M:%S.%f}Z#{revision_of(event_id):012d}"


def grading_text(event: IncidentGraded) -> str:
    level = f"{event.level.value}级（{LEVEL_ZH[event.level.value]}）" if event.level else "待定级"
    text = f"定级：{level}"
    if event.reasons:
        text += f"；依据：{'；'.join(event.reasons)}"
    if event.sensitive:
        text += f"；敏感：{'；'.join(event.sensitive_reasons) or '是'}"
    return text + f"（值班应急处置，规则版本 {event.rules_version}）"


def parse_levels(values: list[str]) -> tuple[list[str], str | None]:
    """``level=I&level=II`` or ``level=I,II`` → (["I", "II"], None); a bad value → ([], the value)."""
    out: list[str] = []
    for value in values:
        for part in value.split(","):
            level = part.strip().upper()
            if level not in LEVEL_ZH:
                return [], part.strip()
            if level not in out:
                out.append(level)
    return out, None
