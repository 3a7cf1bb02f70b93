"""Scheduling's durable timers when a handler fails: the failure is recorded on the timer, the timer is
released and retried with backoff, and after the last attempt it is closed as failed, written to the duty
log and the duty-room head is told — never silently lost. A claim left by a crashed poller is taken over."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from shared.clock import SHANGHAI
from tests.service.conftest import System
from tests.service.test_scheduling_rosters import API, outbox

DUE = datetime(2027, 3, 1, 9, 0, tzinfo=SHANGHAI)  # far from the real clock: only the test fires these


def _parts(system: System) -> tuple[Any, Any]:
    c = system.component("scheduling")
    return c.state["service"], c.state["store"]


async def test_a_failing_handler_is_retried_with_backoff_then_succeeds(system: System) -> None:
    svc, store = _parts(system)
    calls: list[datetime] = []

    async def flaky(payload: dict[str, Any], now: datetime) -> str:
        calls.append(now)
        if len(calls) < 3:
            raise RuntimeError(f"gateway down ({len(calls)})")
        return "ok"

    svc.timer_handlers["test_flaky"] = flaky
    await store.add_timer("t-flaky", "test_flaky", DUE, {})
    await svc.fire_due(now=DUE)
    doc = await store.get("timers", "t-flaky")
    assert (doc["attempts"], doc["claimed_at"], doc["fired_at"]) == (1, None, None)  # released, not lost
    assert "gateway down (1)" in doc["failures"][0]["error"]

    await svc.fire_due(now=DUE + timedelta(seconds=10))  # the backoff (30 s) has not passed
    assert len(calls) == 1
    await svc.fire_due(now=DUE + timedelta(seconds=31))
    assert len(calls) == 2 and (await store.get("timers", "t-flaky"))["attempts"] == 2
    await svc.fire_due(now=DUE + timedelta(seconds=31 + 59))  # second backoff is 60 s
    assert len(calls) == 2
    await svc.fire_due(now=DUE + timedelta(seconds=31 + 61))
    doc = await store.get("timers", "t-flaky")
    assert len(calls) == 3 and doc["result"] == "ok" and doc["fired_at"] is not None and not doc.get("failed")
    await svc.fire_due(now=DUE + timedelta(hours=1))
    assert len(calls) == 3  # fired once


async def test_a_handler_that_keeps_failing_is_closed_logged_and_the_head_told(system: System) -> None:
    svc, store = _parts(system)

    async def broken(payload: dict[str, Any], now: datetime) -> str:
        raise ValueError("模板缺失")

    svc.timer_handlers["test_broken"] = broken
    await store.add_timer("t-broken", "test_broken", DUE, {})
    await store.add_timer("t-unknown", "no_such_kind", DUE, {})
    now = DUE
    for _ in range(12):
        await svc.fire_due(now=now)
        now += timedelta(hours=1)
    doc = await store.get("timers", "t-broken")
    assert doc["failed"] is True and doc["attempts"] == svc.timer_policy.max_attempts == 5
    assert len(doc["failures"]) == 5 and doc["fired_at"] is not None and "模板缺失" in doc["result"]
    unknown = await store.get("timers", "t-unknown")
    assert unknown["failed"] is True and "未知的定时任务类型" in unknown["failures"][0]["error"]

    log = await store.get("duty_log", "timer-failed:t-broken")
    assert log and "连续5次执行失败" in log["text"]
    told = [e for e in await outbox(system, "notify.send") if e["_id"] == "scheduling:timer-failed:t-broken:p-head"]
    assert len(told) == 1 and "模板缺失" in told[0]["payload"]["body"]

    r = await system.client.get(f"{API}/timers/failed", headers=system.auth("duty_head"))
    assert r.status_code == 200
    assert {"t-broken", "t-unknown"} <= {t["id"] for t in r.json()}
    assert (await system.client.get(f"{API}/timers/failed", headers=system.auth("duty_officer"))).status_code == 403


async def test_a_claim_left_by_a_crashed_poller_is_taken_over_after_the_lease(system: System) -> None:
    svc, store = _parts(system)
    fired: list[datetime] = []

    async def record(payload: dict[str, Any], now: datetime) -> str:
        fired.append(now)
        return "ok"

    svc.timer_handlers["test_record"] = record
    await svc.fire_due(now=DUE - timedelta(seconds=1))  # whatever else was due: out of the way
    await store.add_timer("t-stale", "test_record", DUE, {})
    claimed = await store.claim_due_timer(DUE, stale_before=DUE - svc.timer_policy.lease)
    assert claimed["_id"] == "t-stale"  # ... and the poller that claimed it dies here
    await svc.fire_due(now=DUE + timedelta(minutes=5))
    assert fired == []  # still within the lease: maybe it is only slow
    await svc.fire_due(now=DUE + timedelta(minutes=11))
    assert len(fired) == 1 and (await store.get("timers", "t-stale"))["result"] == "ok"
