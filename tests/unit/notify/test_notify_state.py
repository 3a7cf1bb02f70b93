from datetime import UTC, datetime, timedelta

import pytest

from services.notify.domain.state import (
    DeliveryEvent as E,
)
from services.notify.domain.state import (
    DeliveryRecord,
    IllegalTransition,
    kannel_dlr_event,
    smpp_receipt_event,
    transition,
)
from shared.contracts.events import DeliveryState as S

T0 = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)


def at(seconds: int) -> datetime:
    return T0 + timedelta(seconds=seconds)


def test_happy_path_is_timestamped_step_by_step():
    record = DeliveryRecord("n-1")
    for i, event in enumerate([E.send, E.accepted, E.delivered, E.acknowledged]):
        record = record.apply(event, at=at(i))
    assert record.state is S.acknowledged
    assert [t.state for t in record.history] == [S.sending, S.sent, S.delivered, S.acknowledged]
    assert [t.at for t in record.history] == [at(0), at(1), at(2), at(3)]
    assert record.attempts == 1


def test_transient_failure_is_retried_and_counts_attempts():
    record = DeliveryRecord("n-1").apply(E.send, at=at(0)).apply(E.transient_failure, at=at(1))
    assert record.state is S.failed_temporary
    record = record.apply(E.retry, at=at(5)).apply(E.accepted, at=at(6))
    assert record.state is S.sent and record.attempts == 2


def test_permanent_failure_cannot_be_retried():
    record = DeliveryRecord("n-1").apply(E.send, at=at(0)).apply(E.permanent_failure, at=at(1))
    with pytest.raises(IllegalTransition, match="发送失败"):
        record.apply(E.retry, at=at(2))


def test_invalid_number_fails_before_sending():
    assert transition(S.pending, E.permanent_failure, at=T0).state is S.failed_permanent


def test_delivered_before_sent_implies_sent():
    step = transition(S.sending, E.delivered, at=T0)
    assert step.state is S.delivered and step.implied == (S.sent,)
    # ... and the gateway's own late "accepted" is then stale, not an error.
    late = transition(S.delivered, E.accepted, at=at(1))
    assert late.state is S.delivered and not late.changed


def test_keypress_before_any_receipt_implies_sent_and_delivered():
    step = transition(S.sending, E.acknowledged, at=T0)
    assert step.state is S.acknowledged and step.implied == (S.sent, S.delivered)


def test_receipt_after_temporary_failure_means_it_went_through():
    assert transition(S.failed_temporary, E.delivered, at=T0).state is S.delivered


def test_acknowledgement_beats_a_permanent_failure():
    assert transition(S.failed_permanent, E.acknowledged, at=T0).state is S.acknowledged


@pytest.mark.parametrize(
    ("state", "event"),
    [(S.delivered, E.permanent_failure), (S.delivered, E.transient_failure), (S.acknowledged, E.delivered),
     (S.acknowledged, E.permanent_failure), (S.failed_permanent, E.delivered)],
)
def test_stale_news_is_ignored(state, event):
    step = transition(state, event, at=T0)
    assert step.state is state and not step.changed


@pytest.mark.parametrize(
    ("state", "event"),
    [(S.pending, E.delivered), (S.pending, E.accepted), (S.pending, E.acknowledged), (S.pending, E.retry),
     (S.sent, E.retry), (S.delivered, E.send), (S.sending, E.send)],
)
def test_impossible_news_raises(state, event):
    with pytest.raises(IllegalTransition):
        transition(state, event, at=T0)


def test_every_state_event_pair_is_decided():
    # No pair falls through to an unexpected exception type: each moves, is stale, or is illegal.
    for state in S:
        for event in E:
            try:
                transition(state, event, at=T0)
            except IllegalTransition:
                pass


def test_receipt_mappings():
    assert kannel_dlr_event(1) is E.delivered
    assert kannel_dlr_event(8) is E.accepted
    assert kannel_dlr_event(16) is E.transient_failure
    assert kannel_dlr_event(4) is None and kannel_dlr_event(99) is None
    assert smpp_receipt_event("delivrd") is E.delivered
    assert smpp_receipt_event("UNDELIV") is E.permanent_failure
    assert smpp_receipt_event("garbage") is None
