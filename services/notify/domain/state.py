"""The one message state model (issue 5 §4, R-09).

    pending ─send─▶ sending ─accepted─▶ sent ─delivered─▶ delivered ─acknowledged─▶ acknowledged
                      │  ▲               │                    │
       transient/     ▼  │ retry         ▼                    ▼
       permanent  failed_temporary   failed_*            (late failures ignored)
                  failed_permanent

Gateways report out of order: a delivery receipt can overtake the gateway's own "accepted" answer
(Kannel posts the DLR before our HTTP call returns), a person can acknowledge by keypress before
any SMS receipt, a late "failed" receipt can follow a delivery. The rules:

* Evidence of progress wins. ``delivered`` in ``sending`` or ``failed_temporary`` moves to
  delivered and lists the skipped states in ``Transition.implied`` (the store records them at the
  same time); the caller must cancel a pending retry. ``acknowledged`` is accepted from any state
  after sending started, including ``failed_permanent`` — the person has the message.
* Stale news is ignored, not an error: a receipt for a state already passed (``accepted`` after
  ``delivered``, ``failed`` after ``delivered``) returns ``changed=False`` and is only logged.
* Impossible news raises ``IllegalTransition``: a receipt for a message never sent (``pending``),
  a retry of a permanently failed message. The handler records it as a failure, never crashes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from shared.contracts.events import DeliveryState as S


class DeliveryEvent(StrEnum):
    send = "send"  # we hand the message to a gateway
    accepted = "accepted"  # the gateway took it (SMPP submit_sm_resp ok, Kannel 202, HylaFAX job id)
    delivered = "delivered"  # delivery receipt: the handset / fax machine / callee got it
    acknowledged = "acknowledged"  # the person confirmed (SMS code, keypress, link)
    transient_failure = "transient_failure"
    permanent_failure = "permanent_failure"
    retry = "retry"  # a failed_temporary message is tried again


class IllegalTransition(ValueError):
    def __init__(self, current: S, event: DeliveryEvent) -> None:
        super().__init__(f"状态“{STATE_NAMES[current]}”下不能发生“{EVENT_NAMES[event]}”")
        self.current, self.event = current, event


STATE_NAMES = {
    S.pending: "待发送",
    S.sending: "发送中",
    S.sent: "已发出",
    S.delivered: "已送达",
    S.acknowledged: "已确认",
    S.failed_temporary: "暂时失败",
    S.failed_permanent: "发送失败",
}
EVENT_NAMES = {
    DeliveryEvent.send: "开始发送",
    DeliveryEvent.accepted: "网关受理",
    DeliveryEvent.delivered: "送达回执",
    DeliveryEvent.acknowledged: "本人确认",
    DeliveryEvent.transient_failure: "暂时失败",
    DeliveryEvent.permanent_failure: "永久失败",
    DeliveryEvent.retry: "重试",
}
FINAL = frozenset({S.acknowledged, S.failed_permanent})
_ORDER = {S.pending: 0, S.sending: 1, S.sent: 2, S.delivered: 3, S.acknowledged: 4}

# (current, event) -> new state. Absent pairs are checked against _STALE, then illegal.
_MOVES: dict[tuple[S, DeliveryEvent], S] = {
    (S.pending, DeliveryEvent.send): S.sending,
    (S.pending, DeliveryEvent.permanent_failure): S.failed_permanent,  # e.g. invalid number before sending
    (S.sending, DeliveryEvent.accepted): S.sent,
    (S.sending, DeliveryEvent.delivered): S.delivered,
    (S.sending, DeliveryEvent.acknowledged): S.acknowledged,
    (S.sending, DeliveryEvent.transient_failure): S.failed_temporary,
    (S.sending, DeliveryEvent.permanent_failure): S.failed_permanent,
    (S.sent, DeliveryEvent.delivered): S.delivered,
    (S.sent, DeliveryEvent.acknowledged): S.acknowledged,
    (S.sent, DeliveryEvent.transient_failure): S.failed_temporary,
    (S.sent, DeliveryEvent.permanent_failure): S.failed_permanent,
    (S.delivered, DeliveryEvent.acknowledged): S.acknowledged,
    (S.failed_temporary, DeliveryEvent.retry): S.sending,
    (S.failed_temporary, DeliveryEvent.delivered): S.delivered,
    (S.failed_temporary, DeliveryEvent.acknowledged): S.acknowledged,
    (S.failed_temporary, DeliveryEvent.permanent_failure): S.failed_permanent,
    (S.failed_permanent, DeliveryEvent.acknowledged): S.acknowledged,
}
# Receipts describing a state the message has already passed: harmless, ignored.
_STALE: set[tuple[S, DeliveryEvent]] = {
    (S.sent, DeliveryEvent.send),
    (S.delivered, DeliveryEvent.accepted),
    (S.delivered, DeliveryEvent.delivered),
    (S.delivered, DeliveryEvent.transient_failure),
    (S.delivered, DeliveryEvent.permanent_failure),
    (S.sent, DeliveryEvent.accepted),
    (S.failed_temporary, DeliveryEvent.accepted),  # the gateway's answer after our timeout
    (S.failed_temporary, DeliveryEvent.transient_failure),
    (S.failed_permanent, DeliveryEvent.accepted),
    (S.failed_permanent, DeliveryEvent.delivered),  # a fax "done" after we gave up: logged, not reopened
    (S.failed_permanent, DeliveryEvent.transient_failure),
    (S.failed_permanent, DeliveryEvent.permanent_failure),
} | {(S.acknowledged, event) for event in DeliveryEvent}


@dataclass(frozen=True)
class Transition:
    previous: S
    event: DeliveryEvent
    state: S
    at: datetime
    changed: bool = True
    implied: tuple[S, ...] = ()  # states skipped by an out-of-order receipt, recorded at the same time
    detail: str = ""


def transition(current: S, event: DeliveryEvent, *, at: datetime, detail: str = "") -> Transition:
    """The next state; ``changed=False`` for a stale receipt; raises ``IllegalTransition``."""
    if (current, event) in _MOVES:
        new = _MOVES[current, event]
        implied: tuple[S, ...] = ()
        if new in _ORDER and current in _ORDER and _ORDER[new] - _ORDER[current] > 1:
            implied = tuple(s for s, rank in _ORDER.items() if _ORDER[current] < rank < _ORDER[new])
        return Transition(current, event, new, at, True, implied, detail)
    if (current, event) in _STALE:
        return Transition(current, event, current, at, False, (), detail)
    raise IllegalTransition(current, event)


@dataclass(frozen=True)
class DeliveryRecord:
    """One notification's state and its timestamped history (what the store keeps and the bus hears)."""

    notification_id: str
    state: S = S.pending
    history: tuple[Transition, ...] = ()
    attempts: int = 0  # how many times it went to ``sending``

    def apply(self, event: DeliveryEvent, *, at: datetime, detail: str = "") -> DeliveryRecord:
        step = transition(self.state, event, at=at, detail=detail)
        attempts = self.attempts + (1 if step.changed and step.state is S.sending else 0)
        return DeliveryRecord(self.notification_id, step.state, (*self.history, step), attempts)


# -- what gateway receipts mean ------------------------------------------------------------------

def kannel_dlr_event(dlr_type: int) -> DeliveryEvent | None:
    """Kannel ``%d`` in the dlr-url: 1 delivered, 2 undeliverable, 4 buffered, 8 SMSC ACK, 16 SMSC NACK."""
    return {
        1: DeliveryEvent.delivered,
        2: DeliveryEvent.permanent_failure,
        4: None,  # queued at the SMSC: no change, still sent
        8: DeliveryEvent.accepted,
        16: DeliveryEvent.transient_failure,  # NACK after Kannel's own resends; our retry policy decides
    }.get(dlr_type)


def smpp_receipt_event(stat: str) -> DeliveryEvent | None:
    """The ``stat:`` field of an SMPP 3.4 delivery receipt (Appendix B)."""
    return {
        "DELIVRD": DeliveryEvent.delivered,
        "ACCEPTD": DeliveryEvent.delivered,  # read by the subscriber on the handset
        "ENROUTE": None,
        "EXPIRED": DeliveryEvent.transient_failure,
        "DELETED": DeliveryEvent.permanent_failure,
        "UNDELIV": DeliveryEvent.permanent_failure,
        "REJECTD": DeliveryEvent.permanent_failure,
        "UNKNOWN": DeliveryEvent.transient_failure,
    }.get(stat.strip().upper())
