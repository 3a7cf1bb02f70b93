"""The I/O side of sending: per channel, the configured gateways in failover order, each behind its
own circuit breaker and rate limit, each send retried by tenacity for transient errors only.

The policy (breaker, token bucket) is the pure domain in ``domain/policy.py``; this module keeps the
current state per gateway in memory (per process — a restarted process starts with closed breakers and
full buckets, which is the safe direction for a duty office: it tries again rather than staying silent).
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import timedelta

import structlog

from services.notify.domain.policy import (
    CircuitBreaker,
    TokenBucket,
    breaker_allows,
    breaker_failure,
    breaker_success,
    take_token,
    token_wait,
)
from services.notify.gateways.base import Gateway, OutboundMessage, SendResult, send_with_retry
from shared.clock import Clock

log = structlog.get_logger("zhiban.notify.sending")

MAX_RATE_WAIT_S = 2.0  # longer than this: the gateway counts as busy and the next one is tried


@dataclass(frozen=True)
class SendPolicy:
    attempts: int = 3
    initial_wait: float = 0.2
    max_wait: float = 5.0
    breaker_threshold: int = 5
    breaker_cooldown_s: float = 30.0
    rate_per_s: float = 20.0
    burst: float = 40.0


class GatewayPool:
    def __init__(self, routes: Mapping[str, Sequence[Gateway]], *, clock: Clock, policy: SendPolicy) -> None:
        self.routes = {channel: list(gws) for channel, gws in routes.items()}
        self.clock = clock
        self.policy = policy
        now = clock.now()
        names = {g.name: g for gws in self.routes.values() for g in gws}
        self.by_name: dict[str, Gateway] = names
        self.breakers = {
            n: CircuitBreaker(policy.breaker_threshold, timedelta(seconds=policy.breaker_cooldown_s)) for n in names
        }
        self.buckets = {n: TokenBucket.full(rate_per_second=policy.rate_per_s, capacity=policy.burst, now=now)
                        for n in names}

    def has(self, channel: str) -> bool:
        return bool(self.routes.get(channel))

    async def _rate(self, name: str) -> bool:
        ok, self.buckets[name] = take_token(self.buckets[name], now=self.clock.now())
        if ok:
            return True
        wait = token_wait(self.buckets[name]).total_seconds()
        if wait > MAX_RATE_WAIT_S:
            return False
        await asyncio.sleep(wait)
        ok, self.buckets[name] = take_token(self.buckets[name], now=self.clock.now())
        return ok

    async def send(self, channel: str, msg: OutboundMessage) -> SendResult:
        """First gateway that takes it; a permanent refusal stops here (another would refuse too and
        trying it only risks a second delivery); a transient one (or an open breaker) moves on."""
        failures: list[str] = []
        for gateway in self.routes.get(channel, []):
            allowed, self.breakers[gateway.name] = breaker_allows(self.breakers[gateway.name], now=self.clock.now())
            if not allowed:
                failures.append(f"{gateway.name}：熔断中")
                continue
            if not await self._rate(gateway.name):
                failures.append(f"{gateway.name}：超过速率限制")
                self.breakers[gateway.name] = _release_trial(self.breakers[gateway.name])
                continue
            result = await send_with_retry(gateway, msg, attempts=self.policy.attempts,
                                           initial_wait=self.policy.initial_wait, max_wait=self.policy.max_wait)
            if result.accepted:
                self.breakers[gateway.name] = breaker_success(self.breakers[gateway.name])
                return result
            if not result.transient_error:
                self.breakers[gateway.name] = _release_trial(self.breakers[gateway.name])
                return result
            self.breakers[gateway.name] = breaker_failure(self.breakers[gateway.name], now=self.clock.now())
            log.warning("gateway failed, trying the next", gateway=gateway.name, detail=result.detail)
            failures.append(f"{gateway.name}：{result.detail}")
        return SendResult(accepted=False, gateway="/".join(g.name for g in self.routes.get(channel, [])) or "none",
                          transient_error=True, detail="所有网关均不可用；" + "；".join(failures))


def _release_trial(breaker: CircuitBreaker) -> CircuitBreaker:
    return replace(breaker, trial_in_flight=False)
