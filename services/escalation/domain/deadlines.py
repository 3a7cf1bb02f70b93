"""Which happening meets which report deadline (R-08), and each deadline's state: open, met, met late, missed.

A deadline (domain/clocks.py) waits for one stage of reporting; it is met by the first happening of that stage:

- ``phone`` (电话报告 to the leaders): a leader's notification delivered or acknowledged on any channel, or a
  call to a leader logged by the officer;
- ``written`` (书面报告): a leader's notification delivered or acknowledged over a written channel (fax, e-mail),
  the written report escalation sends after release delivered over fax or e-mail (``written_delivered``; it
  never counts as the phone report), or a written report the officer records as delivered;
- ``upward`` (向上级报告): the report sent to the provincial duty office (for 较大+ only ever the approved
  bulletin, see service_reports.py);
- ``follow_up`` (续报): a follow-up report received in the deadline's window — after the previous follow-up
  deadline (or the first report) and not after this one; a report after the time belongs to the next window, so
  a late 续报 never turns a missed deadline into a met one;
- ``final`` (终报): the final report; it also counts as the follow-up of its window.

Pure: the same deadlines and happenings give the same answer, whatever the clock says.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

WRITTEN_CHANNELS = frozenset({"fax", "email"})
REACHED_STATES = frozenset({"delivered", "acknowledged"})
UPWARD_SENT_STATES = frozenset({"sent", "delivered", "acknowledged"})
HAPPENINGS = ("leader_notified", "leader_called", "written_recorded", "written_delivered", "upward_sent",
              "follow_up_report", "final_report")


class DeadlineError(ValueError):
    pass


@dataclass(frozen=True)
class Planned:
    """A deadline as planned for the incident (the fields stored with it)."""

    key: str
    kind: str  # phone | written | upward | follow_up | final
    stage: str
    due_at: datetime


@dataclass(frozen=True)
class Happening:
    what: str  # one of HAPPENINGS
    at: datetime
    detail: str  # what met it, in words: 通知 l-vm-safety 已送达（fax）
    channel: str | None = None
    state: str | None = None


@dataclass(frozen=True)
class Met:
    key: str
    at: datetime
    by: str  # the happening, in words
    late: bool


def met_by(planned: Iterable[Planned], already_met: Iterable[str], happening: Happening) -> list[Met]:
    """The deadlines this happening meets (none already met), in order of due time."""
    if happening.what not in HAPPENINGS:
        raise DeadlineError(f"未知的报告环节：{happening.what}")
    done = set(already_met)
    todo = sorted((d for d in planned if d.key not in done), key=lambda d: d.due_at)
    kinds = _kinds_met(happening)
    out = [_met(d, happening) for d in todo if d.kind in kinds and d.kind != "follow_up"]
    if "follow_up" in kinds:
        window = follow_up_window(planned, happening.at)
        if window is not None and window.key not in done:
            out.append(_met(window, happening))
    return sorted(out, key=lambda m: next(d.due_at for d in todo if d.key == m.key))


def follow_up_window(planned: Iterable[Planned], at: datetime) -> Planned | None:
    """The follow-up deadline whose window holds ``at``: the first one due at or after it."""
    ups = sorted((d for d in planned if d.kind == "follow_up"), key=lambda d: d.due_at)
    return next((d for d in ups if at <= d.due_at), None)


def state_of(deadline: Planned, met: Met | None, now: datetime) -> str:
    """met | met_late | missed | open — what the timeline and the incident view show."""
    if met is not None:
        return "met_late" if met.late else "met"
    return "missed" if now > deadline.due_at else "open"


STATE_NAMES = {"met": "按时完成", "met_late": "逾期完成", "missed": "已超时未完成", "open": "未到期"}


def _kinds_met(h: Happening) -> set[str]:
    if h.what == "leader_notified":
        if h.state not in REACHED_STATES:
            return set()
        return {"phone", "written"} if h.channel in WRITTEN_CHANNELS else {"phone"}
    if h.what == "written_delivered":  # the written report escalation sends itself: never a phone report
        return {"written"} if h.state in REACHED_STATES and h.channel in WRITTEN_CHANNELS else set()
    return {
        "leader_called": {"phone"},
        "written_recorded": {"written"},
        "upward_sent": {"upward"} if h.state in UPWARD_SENT_STATES else set(),
        "follow_up_report": {"follow_up"},
        "final_report": {"final", "follow_up"},
    }[h.what]


def _met(d: Planned, h: Happening) -> Met:
    # a follow-up is only ever met inside its own window, so it cannot be late
    return Met(d.key, h.at, h.detail, late=d.kind != "follow_up" and h.at > d.due_at)
