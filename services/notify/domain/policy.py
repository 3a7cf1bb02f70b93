"""Sending policy as pure functions over passed-in time (issue 5 §4): throttles per recipient, a
rate limit per gateway, a circuit breaker per gateway, which gateway errors are worth a retry,
and the retry policy as data for tenacity in the I/O layer.

State objects are immutable: each function returns the new state; the handler keeps it (in memory
per process for the bucket and breaker, in the store for per-recipient history).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum

# -- per-recipient throttle ----------------------------------------------------------------------

@dataclass(frozen=True)
class ThrottleDecision:
    allowed: bool
    retry_at: datetime | None = None  # when the oldest counted call leaves the window


def recipient_throttle(
    sent_at: Sequence[datetime], *, now: datetime, limit: int, window: timedelta = timedelta(minutes=15)
) -> ThrottleDecision:
    """No more than ``limit`` messages to one person in any sliding ``window`` (default 15 min)."""
    recent = sorted(t for t in sent_at if now - window < t <= now)
    if len(recent) < limit:
        return ThrottleDecision(True)
    return ThrottleDecision(False, recent[len(recent) - limit] + window)


# -- per-gateway rate limit ----------------------------------------------------------------------

@dataclass(frozen=True)
class TokenBucket:
    rate_per_second: float
    capacity: float
    tokens: float
    updated_at: datetime

    @classmethod
    def full(cls, *, rate_per_second: float, capacity: float, now: datetime) -> TokenBucket:
        return cls(rate_per_second, capacity, capacity, now)


def take_token(bucket: TokenBucket, *, now: datetime) -> tuple[bool, TokenBucket]:
    # A clock that steps back (NTP) must not mint tokens or go negative: elapsed is clamped at 0.
    elapsed = max((now - bucket.updated_at).total_seconds(), 0.0)
    tokens = min(bucket.capacity, bucket.tokens + elapsed * bucket.rate_per_second)
    refreshed = replace(bucket, tokens=tokens, updated_at=max(now, bucket.updated_at))
    if tokens >= 1.0:
        return True, replace(refreshed, tokens=tokens - 1.0)
    return False, refreshed


def token_wait(bucket: TokenBucket) -> timedelta:
    """How long until the next token, from ``bucket.updated_at``."""
    missing = max(1.0 - bucket.tokens, 0.0)
    return timedelta(seconds=missing / bucket.rate_per_second)


# -- circuit breaker per gateway -----------------------------------------------------------------

class BreakerState(StrEnum):
    closed = "closed"
    open = "open"
    half_open = "half_open"


@dataclass(frozen=True)
class CircuitBreaker:
    failure_threshold: int = 5
    cooldown: timedelta = timedelta(seconds=30)
    state: BreakerState = BreakerState.closed
    failures: int = 0
    opened_at: datetime | None = None
    trial_in_flight: bool = False


def breaker_allows(breaker: CircuitBreaker, *, now: datetime) -> tuple[bool, CircuitBreaker]:
    """Closed: yes. Open: no until the cooldown passes, then one trial (half-open). Half-open with
    the trial still out: no — the failover gateway takes the traffic meanwhile."""
    if breaker.state is BreakerState.closed:
        return True, breaker
    if breaker.state is BreakerState.open:
        # An open breaker without a time (hand-built state) is treated as cooled down, not stuck open.
        if breaker.opened_at is None or now - breaker.opened_at >= breaker.cooldown:
            return True, replace(breaker, state=BreakerState.half_open, trial_in_flight=True)
        return False, breaker
    if not breaker.trial_in_flight:
        return True, replace(breaker, trial_in_flight=True)
    return False, breaker


def breaker_success(breaker: CircuitBreaker) -> CircuitBreaker:
    return replace(breaker, state=BreakerState.closed, failures=0, opened_at=None, trial_in_flight=False)


def breaker_failure(breaker: CircuitBreaker, *, now: datetime) -> CircuitBreaker:
    """Only transient gateway errors count; a permanent one (bad number) says nothing of the gateway."""
    failures = breaker.failures + 1
    if breaker.state is BreakerState.half_open or failures >= breaker.failure_threshold:
        return replace(breaker, state=BreakerState.open, failures=failures, opened_at=now, trial_in_flight=False)
    return replace(breaker, failures=failures)


# -- gateway errors ------------------------------------------------------------------------------

class ErrorClass(StrEnum):
    transient = "transient"  # retry (same gateway after backoff, or the failover gateway)
    permanent = "permanent"  # never retry: the message or the address is wrong
    unknown = "unknown"  # the gateway may have sent it: no blind retry (would send twice); a person checks


# SMPP 3.4 command_status values (section 5.1.3).
_SMPP_TRANSIENT = {0x08, 0x14, 0x58, 0x64, 0x45}  # SYSERR, MSGQFUL, THROTTLED, RX_T_APPN, SUBMITFAIL
_SMPP_PERMANENT = {0x01, 0x02, 0x03, 0x0A, 0x0B, 0x0C, 0x0D, 0x0E, 0x0F, 0x48, 0x49, 0x50, 0x51, 0x61, 0x62}
# SIP final responses that mean "this person, not now" rather than "never".
_SIP_TRANSIENT = {408, 480, 486, 487, 500, 503, 504, 600, 603}
# HylaFAX job "why"/status words (notify script and faxstat).
_FAX_TRANSIENT = ("busy", "no answer", "no carrier", "requeued", "timedout", "no local dialtone")
_FAX_PERMANENT = ("format_failed", "no_formatter", "removed", "killed", "rejected", "blocked", "invalid")


def classify_gateway_error(protocol: str, code: int | str | None, detail: str = "") -> ErrorClass:
    """``protocol`` is one of smpp, http, smtp, sip, fax, network."""
    text = f"{code or ''} {detail}".lower()
    if protocol == "network":
        # Refused before anything was sent is safe to retry; a timeout after sending is not known.
        return ErrorClass.unknown if "read" in text or "response" in text else ErrorClass.transient
    if protocol == "smpp" and isinstance(code, int):
        if code in _SMPP_TRANSIENT:
            return ErrorClass.transient
        return ErrorClass.permanent if code in _SMPP_PERMANENT else ErrorClass.unknown
    if protocol == "http" and isinstance(code, int):
        if code in (408, 429) or 500 <= code <= 599:
            return ErrorClass.transient
        return ErrorClass.permanent if 400 <= code <= 499 else ErrorClass.unknown
    if protocol == "smtp" and isinstance(code, int):
        if 400 <= code <= 499:
            return ErrorClass.transient
        return ErrorClass.permanent if 500 <= code <= 599 else ErrorClass.unknown
    if protocol == "sip" and isinstance(code, int):
        if code in _SIP_TRANSIENT:
            return ErrorClass.transient
        return ErrorClass.permanent if 400 <= code <= 699 else ErrorClass.unknown
    if protocol == "fax":
        if any(word in text for word in _FAX_PERMANENT):
            return ErrorClass.permanent
        if any(word in text for word in _FAX_TRANSIENT) or re.search(r"\bfailed\b", text):
            return ErrorClass.transient
    return ErrorClass.unknown


# -- retry policy as data ------------------------------------------------------------------------

@dataclass(frozen=True)
class RetryPolicy:
    """Maps onto tenacity: ``stop_after_attempt(attempts)`` and
    ``wait_exponential_jitter(multiplier=, max=, exp_base=, jitter=)`` (tenacity 9.2 deprecates
    ``initial`` for ``multiplier``); retry only ``ErrorClass.transient``."""

    attempts: int = 5
    multiplier: float = 2.0  # seconds before the first retry, without jitter
    max: float = 60.0
    exp_base: float = 2.0
    jitter: float = 1.0

    def delay(self, attempt: int, *, jitter_fraction: float = 0.0) -> float:
        """Seconds before attempt ``attempt + 1`` (attempt counts from 1); the same formula tenacity
        uses, with the random part passed in so it can be shown and tested."""
        return min(self.max, self.multiplier * self.exp_base ** (attempt - 1) + self.jitter * jitter_fraction)

    def should_retry(self, error: ErrorClass, *, attempt: int) -> bool:
        return error is ErrorClass.transient and attempt < self.attempts


RETRY_POLICIES = {
    "sms": RetryPolicy(attempts=5, multiplier=2.0, max=60.0),
    "phone": RetryPolicy(attempts=3, multiplier=30.0, max=120.0, jitter=10.0),  # a callee needs time
    "fax": RetryPolicy(attempts=4, multiplier=60.0, max=600.0, jitter=30.0),
    "email": RetryPolicy(attempts=5, multiplier=5.0, max=300.0),
}
