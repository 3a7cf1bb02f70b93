from datetime import UTC, datetime, timedelta

import pytest

from services.notify.domain.acks import (
    AckError,
    AckToken,
    Keypress,
    StepKind,
    due_steps,
    escalation_chain,
    is_good_code,
    new_ack_code,
    parse_keypress,
    parse_sms_reply,
    sign_ack_token,
    verify_ack_token,
)
from shared.contracts.events import NotifyChannel

NOW = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)
SECRET = b"0123456789abcdef-test-secret"


@pytest.mark.parametrize("code", ["0123", "1111", "1234", "9876", "123", "12a4"])
def test_ambiguous_codes_are_never_issued(code):
    assert not is_good_code(code)


def test_new_code_skips_bad_and_taken_codes():
    draws = iter([234, 4827 - 1000, 4827 - 1000, 5190 - 1000])  # 1234 (run), 4827, 4827 (taken), 5190
    assert new_ack_code(set(), randbelow=lambda n: next(draws)) == "4827"
    assert new_ack_code({"4827"}, randbelow=lambda n: next(draws)) == "5190"


def test_new_codes_are_good_by_default():
    codes = {new_ack_code(set()) for _ in range(200)}
    assert all(is_good_code(c) for c in codes)


@pytest.mark.parametrize(
    ("text", "code"),
    [("4827", "4827"), ("收到 4827", "4827"), ("确认4827", "4827"), ("４８２７收到", "4827"), (" 4827。马上到", "4827"),
     ("收到", None), ("好的，明白", None)],
)
def test_sms_replies(text, code):
    reply = parse_sms_reply(text)
    assert reply is not None and reply.code == code


@pytest.mark.parametrize("text", ["4827 5190", "今天天气不错", "电话13812345678", ""])
def test_unclear_replies_are_not_guessed(text):
    assert parse_sms_reply(text) is None


def test_keypress():
    assert parse_keypress("1") is Keypress.acknowledge
    assert parse_keypress("4827#", ack_code="4827") is Keypress.acknowledge
    assert parse_keypress("9") is Keypress.repeat
    assert parse_keypress("5") is Keypress.unknown


def test_signed_link_round_trip_and_failures():
    token = AckToken("n-1", "p-1", NOW + timedelta(hours=2))
    text = sign_ack_token(token, secret=SECRET)
    assert verify_ack_token(text, secret=SECRET, now=NOW) == token
    with pytest.raises(AckError, match="已过期"):
        verify_ack_token(text, secret=SECRET, now=NOW + timedelta(hours=2))
    with pytest.raises(AckError, match="签名无效"):
        verify_ack_token(text, secret=b"another-secret-of-16+", now=NOW)
    payload, signature = text.split(".")
    forged = sign_ack_token(AckToken("n-2", "p-1", NOW + timedelta(hours=2)), secret=SECRET).split(".")[0]
    with pytest.raises(AckError, match="签名无效"):
        verify_ack_token(f"{forged}.{signature}", secret=SECRET, now=NOW)
    for garbage in ("", "abc", "a.b.c", "!!!.???"):
        with pytest.raises(AckError):
            verify_ack_token(garbage, secret=SECRET, now=NOW)
    with pytest.raises(AckError, match="密钥过短"):
        sign_ack_token(token, secret=b"short")


def test_escalation_chain_tries_each_method_then_reports_back():
    chain = escalation_chain(
        "p-1",
        [(NotifyChannel.phone, "+8613812345678"), (NotifyChannel.sms, "+8613812345678"), (NotifyChannel.fax, "+861087654321")],
        {NotifyChannel.phone: timedelta(minutes=2), NotifyChannel.sms: timedelta(minutes=5)},
    )
    assert [s.kind for s in chain] == [StepKind.contact] * 3 + [StepKind.report_back]
    assert [s.starts_after for s in chain] == [timedelta(0), timedelta(minutes=2), timedelta(minutes=7), timedelta(minutes=27)]
    assert due_steps(chain, started_at=NOW, now=NOW) == chain[:1]
    assert due_steps(chain, started_at=NOW, now=NOW + timedelta(minutes=7)) == chain[:3]
    assert due_steps(chain, started_at=NOW, now=NOW + timedelta(hours=1))[-1].kind is StepKind.report_back


def test_chain_without_methods_reports_back_at_once():
    chain = escalation_chain("p-1", [])
    assert len(chain) == 1 and chain[0].kind is StepKind.report_back


def test_code_space_is_large_enough():
    good = sum(is_good_code(str(n)) for n in range(1000, 10000))
    assert good > 8000
    every_good = {str(n) for n in range(1000, 10000) if is_good_code(str(n))}
    last_free = max(every_good)
    assert new_ack_code(every_good - {last_free}) == last_free
    with pytest.raises(AckError, match="无可用确认码"):
        new_ack_code(every_good)
