"""Routing (R-06): who receives an incident, through which channels in which order, and who next on silence.

Leaders get the full channel order of the level (phone first where urgent; the written report follows by
fax, regulation 四(四)); copies to units and the party-committee duty room are written, so phone is dropped.
Away leaders (travel, visit, leave — scheduling's itinerary) are replaced by whoever acts for them.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta

from services.escalation.domain.grading import at_least
from services.escalation.domain.rules import Rules
from services.escalation.domain.rules_schema import Leader, Routing, Upward


class RoutingError(ValueError):
    pass


@dataclass(frozen=True)
class IncidentView:
    incident_id: str
    category: str
    level: str | None
    area_code: str | None
    at: datetime  # the moment routing is decided: availability is judged at this time
    sensitive: bool = False
    urgent: bool = False
    concerned_units: tuple[str, ...] = ()


@dataclass(frozen=True)
class AwayPeriod:
    person_id: str
    start: datetime
    end: datetime  # exclusive
    acting_person_id: str | None = None
    reason: str = ""  # 出差 / 考察 / 请假


@dataclass(frozen=True)
class Attempt:
    channel: str
    at: datetime  # send on this channel at this moment unless acknowledged before


@dataclass(frozen=True)
class Recipient:
    person_id: str
    roles: tuple[str, ...]  # in_charge | principal | party_duty_room | cc
    channels: tuple[str, ...]
    ack_timeout_minutes: int
    acting_for: str | None = None
    if_silent: str | None = None
    notes: tuple[str, ...] = ()

    def attempts(self, sent_at: datetime) -> list[Attempt]:
        step = timedelta(minutes=self.ack_timeout_minutes)
        return [Attempt(ch, sent_at + i * step) for i, ch in enumerate(self.channels)]

    def silence_at(self, sent_at: datetime) -> datetime:
        """No acknowledgement on any channel by then: go to ``if_silent``."""
        return sent_at + len(self.channels) * timedelta(minutes=self.ack_timeout_minutes)


@dataclass(frozen=True)
class RoutingPlan:
    incident_id: str
    rules_version: str
    recipients: list[Recipient] = field(default_factory=list)

    def person_ids(self) -> list[str]:
        return [r.person_id for r in self.recipients]


def route(incident_view: IncidentView, rules: Rules, availability: list[AwayPeriod]) -> RoutingPlan:
    table = _routing(rules)
    view = incident_view
    level = view.level or "IV"
    channels_by_level: dict[str, list[str]] = {str(k): list(v) for k, v in table.channels.items()}
    timeouts: dict[str, int] = {str(k): v for k, v in table.ack_timeout_minutes.items()}
    leader_channels = tuple(channels_by_level.get(level, channels_by_level.get("IV", ["sms"])))
    if view.urgent and "phone" in leader_channels:
        leader_channels = ("phone",) + tuple(c for c in leader_channels if c != "phone")
    written = tuple(c for c in leader_channels if c != "phone") or leader_channels
    timeout = timeouts.get(level, 30)
    plan: list[Recipient] = []

    in_charge = _leader_for(view.category, table)
    plan.append(_leader_recipient(in_charge, "in_charge", leader_channels, timeout, table, availability, view.at))
    if at_least(view.level, table.principal_from_level):
        principal = _by_id(table, table.principal)
        plan.append(_leader_recipient(principal, "principal", leader_channels, timeout, table, availability, view.at))
    if at_least(view.level, table.party_duty_room_from_level) or view.sensitive:
        plan.append(Recipient(table.party_duty_room, ("party_duty_room",), written, timeout))
    cc = list(table.cc_by_category.get(view.category, []))
    if table.cc_county_of_area and view.area_code:
        cc.append(f"county:{view.area_code}")
    cc += list(view.concerned_units)
    plan += [Recipient(unit, ("cc",), written, timeout) for unit in cc]
    return RoutingPlan(view.incident_id, rules.version, _merge(plan))


def next_on_silence(recipient: Recipient, rules: Rules, availability: list[AwayPeriod],
                    at: datetime) -> Recipient | None:
    """Who gets it when ``recipient`` stayed silent on every channel; None when nobody is configured."""
    if recipient.if_silent is None:
        return None
    table = _routing(rules)
    nxt = _leader_recipient(_by_id(table, recipient.if_silent), "escalated", recipient.channels,
                            recipient.ack_timeout_minutes, table, availability, at)
    return replace(nxt, notes=nxt.notes + (f"{recipient.person_id}未确认，转报",))


def acting_for(person_id: str, table: Routing, availability: list[AwayPeriod], at: datetime) -> tuple[str, list[str]]:
    """Follow acting persons while each is away; returns (person who receives it, notes)."""
    notes: list[str] = []
    current, seen = person_id, {person_id}
    while (away := _away(current, availability, at)) is not None:
        leader = next((x for x in table.leaders if x.id == current), None)
        deputy = away.acting_person_id or (leader.default_acting if leader else None)
        if deputy is None or deputy in seen:
            notes.append(f"{current}{away.reason or '不在岗'}，无可用代理人，仍报本人")
            break
        notes.append(f"{current}{away.reason or '不在岗'}，由{deputy}代为接收")
        seen.add(deputy)
        current = deputy
    return current, notes


def _leader_recipient(leader: Leader, role: str, channels: tuple[str, ...], timeout: int, table: Routing,
                      availability: list[AwayPeriod], at: datetime) -> Recipient:
    person, notes = acting_for(leader.id, table, availability, at)
    receiver = next((x for x in table.leaders if x.id == person), leader)
    return Recipient(person, (role,), channels, timeout, acting_for=leader.id if person != leader.id else None,
                     if_silent=receiver.if_silent, notes=tuple(notes))


def _merge(plan: list[Recipient]) -> list[Recipient]:
    """One person, one message: an acting leader who is also the principal gets it once, with both roles."""
    merged: dict[str, Recipient] = {}
    for r in plan:
        if r.person_id in merged:
            old = merged[r.person_id]
            merged[r.person_id] = replace(old, roles=old.roles + r.roles, notes=old.notes + r.notes)
        else:
            merged[r.person_id] = r
    return list(merged.values())


def _leader_for(category: str, table: Routing) -> Leader:
    holder = next((x for x in table.leaders if category in x.categories), None)
    if holder is not None:
        return holder
    return _by_id(table, table.fallback_in_charge or table.principal)


def _by_id(table: Routing, leader_id: str) -> Leader:
    return next(x for x in table.leaders if x.id == leader_id)  # ids are checked when the rules load


def _away(person_id: str, availability: list[AwayPeriod], at: datetime) -> AwayPeriod | None:
    return next((p for p in availability if p.person_id == person_id and p.start <= at < p.end), None)


def _routing(rules: Rules) -> Routing:
    if rules.routing is None:
        raise RoutingError("规则文件未配置 routing（领导分工表），无法确定报送对象")
    return rules.routing


def upward_refusal(level: str | None, upward: Upward, *, as_bulletin: bool) -> str | None:
    """Why a report to the provincial duty office may not leave this way (None: it may). From
    ``bulletin_only_from_level`` (较大 by default) only the approved bulletin goes up (R-13); an incident not yet
    graded may be of that level, so it waits for its level too."""
    if as_bulletin:
        return None
    if level is None:
        return (f"事件尚未定级，不能直接向{upward.name}报告：请先确认等级；较大及以上事件只能报送经签批的"
                f"《突发公共事件直报信息》")
    if at_least(level, upward.bulletin_only_from_level):
        return (f"{level}级事件（{upward.bulletin_only_from_level}级及以上）向{upward.name}报告只能使用经秘书长签批的"
                f"《突发公共事件直报信息》，不能直接发送：请拟制直报信息并报批")
    return None


# A notification's states as notify reports them, in the order they can happen; a failed_temporary is retried
# (sending again), so it ranks with sending. Used to break ties between events stamped at the same instant.
_STATUS_RANK = {"pending": 0, "sending": 1, "failed_temporary": 1, "sent": 2, "delivered": 3, "failed_permanent": 3,
                "acknowledged": 4}


def status_order_key(state: str, at: datetime) -> str:
    """A text key that sorts notification status events in the order they happened — by time (UTC), then by how
    far along the state is — so a status that arrives late (a redelivery, a retry) never moves the state back."""
    utc = at.astimezone(UTC)
    return f"{utc:%Y-%m-%dT%H:%M:%S.%f}|{_STATUS_RANK.get(state, 0)}"
