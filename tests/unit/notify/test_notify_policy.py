from datetime import UTC, datetime, timedelta

import pytest

from services.notify.domain.policy import (
    RETRY_POLICIES,
    BreakerState,
    CircuitBreaker,
    ErrorClass,
    RetryPolicy,
    TokenBucket,
    breaker_allows,
    breaker_failure,
    breaker_success,
    classify_gateway_error,
    recipient_throttle,
    take_token,
    token_wait,
)

T0 = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)


def minutes(m: float) -> datetime:
    return T0 + timedelta(minutes=m)


def test_throttle_is_a_sliding_window():
    calls = [minutes(0), minutes(5), minutes(10)]
    blocked = recipient_throttle(calls, now=minutes(12), limit=3)
    assert not blocked.allowed and blocked.retry_at == minutes(15)
    assert recipient_throttle(calls, now=minutes(15), limit=3).allowed  # the 0-minute call left the window
    assert recipient_throttle(calls, now=minutes(12), limit=4).allowed
    assert recipient_throttle([], now=T0, limit=1).allowed


def test_throttle_ignores_future_timestamps():
    assert recipient_throttle([minutes(20)] * 5, now=minutes(0), limit=1).allowed


def test_token_bucket_refills_over_passed_in_time():
    bucket = TokenBucket.full(rate_per_second=2, capacity=2, now=T0)
    ok1, bucket = take_token(bucket, now=T0)
    ok2, bucket = take_token(bucket, now=T0)
    ok3, bucket = take_token(bucket, now=T0)
    assert (ok1, ok2, ok3) == (True, True, False)
    assert token_wait(bucket) == timedelta(seconds=0.5)
    ok4, bucket = take_token(bucket, now=T0 + timedelta(seconds=0.5))
    assert ok4
    # Long idle refills only up to capacity.
    _, bucket = take_token(bucket, now=T0 + timedelta(hours=1))
    assert bucket.tokens == pytest.approx(1.0)


def test_token_bucket_survives_a_clock_step_back():
    bucket = TokenBucket.full(rate_per_second=1, capacity=1, now=T0)
    _, bucket = take_token(bucket, now=T0)
    ok, after = take_token(bucket, now=T0 - timedelta(minutes=5))
    assert not ok and after.tokens == 0 and after.updated_at == T0


def test_breaker_opens_after_threshold_then_half_opens_for_one_trial():
    breaker = CircuitBreaker(failure_threshold=2, cooldown=timedelta(seconds=30))
    breaker = breaker_failure(breaker, now=T0)
    assert breaker.state is BreakerState.closed
    breaker = breaker_failure(breaker, now=T0)
    assert breaker.state is BreakerState.open
    allowed, breaker = breaker_allows(breaker, now=T0 + timedelta(seconds=29))
    assert not allowed
    allowed, breaker = breaker_allows(breaker, now=T0 + timedelta(seconds=30))
    assert allowed and breaker.state is BreakerState.half_open
    second, breaker = breaker_allows(breaker, now=T0 + timedelta(seconds=31))
    assert not second  # only one trial at a time
    assert breaker_success(breaker).state is BreakerState.closed


def test_failed_trial_reopens():
    breaker = CircuitBreaker(state=BreakerState.half_open, trial_in_flight=True, failures=5)
    reopened = breaker_failure(breaker, now=minutes(1))
    assert reopened.state is BreakerState.open and reopened.opened_at == minutes(1)


@pytest.mark.parametrize(
    ("protocol", "code", "detail", "expected"),
    [
        ("smpp", 0x58, "", ErrorClass.transient),  # ESME_RTHROTTLED
        ("smpp", 0x14, "", ErrorClass.transient),  # ESME_RMSGQFUL
        ("smpp", 0x0B, "", ErrorClass.permanent),  # ESME_RINVDSTADR
        ("smpp", 0x4242, "", ErrorClass.unknown),
        ("http", 503, "", ErrorClass.transient),
        ("http", 429, "", ErrorClass.transient),
        ("http", 400, "", ErrorClass.permanent),
        ("http", 200, "garbage", ErrorClass.unknown),
        ("smtp", 451, "", ErrorClass.transient),
        ("smtp", 550, "", ErrorClass.permanent),
        ("sip", 486, "Busy Here", ErrorClass.transient),
        ("sip", 404, "Not Found", ErrorClass.permanent),
        ("fax", None, "Busy signal detected", ErrorClass.transient),
        ("fax", "format_failed", "", ErrorClass.permanent),
        ("network", None, "connection refused", ErrorClass.transient),
        ("network", None, "read timeout", ErrorClass.unknown),
        ("carrier-pigeon", 1, "", ErrorClass.unknown),
    ],
)
def test_error_classes(protocol, code, detail, expected):
    assert classify_gateway_error(protocol, code, detail) is expected


def test_retry_policy_matches_tenacity_formula_and_caps():
    policy = RetryPolicy(attempts=4, multiplier=2, max=10, exp_base=2, jitter=1)
    assert [policy.delay(n) for n in (1, 2, 3, 4)] == [2, 4, 8, 10]
    assert policy.delay(1, jitter_fraction=0.5) == 2.5
    assert policy.should_retry(ErrorClass.transient, attempt=3)
    assert not policy.should_retry(ErrorClass.transient, attempt=4)
    assert not policy.should_retry(ErrorClass.permanent, attempt=1)
    assert not policy.should_retry(ErrorClass.unknown, attempt=1)
    assert set(RETRY_POLICIES) == {"sms", "phone", "fax", "email"}


def test_retry_policy_plugs_into_tenacity():
    tenacity = pytest.importorskip("tenacity")
    policy = RETRY_POLICIES["sms"]
    wait = tenacity.wait_exponential_jitter(
        multiplier=policy.multiplier, max=policy.max, exp_base=policy.exp_base, jitter=0
    )
    state = tenacity.RetryCallState(None, None, (), {})
    state.attempt_number = 3
    assert wait(state) == policy.delay(3)
