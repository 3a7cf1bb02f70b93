"""Report clocks as the service plans them (service_timers.py): durable timers at the computed moments,
across midnight and holidays, re-planned on a level change, silent once their deadline is met."""

from __future__ import annotations

from datetime import UTC, date, datetime

import yaml

from services.escalation.domain.calendar import SHANGHAI, TableCalendar
from services.escalation.domain.rules import Rules, load_rules
from services.escalation.service_routing import short_id
from tests.unit.escalation.service_harness import make, minutes


def sh(y: int, mo: int, d: int, h: int, mi: int = 0) -> datetime:
    return datetime(y, mo, d, h, mi, tzinfo=SHANGHAI).astimezone(UTC)


def due(timers: list[dict], suffix: str) -> datetime:
    return next(t["due_at"] for t in timers if t["_id"].endswith(suffix))


async def overdue_timers(h: object, incident_id: str = "INC-1") -> dict[str, datetime]:
    timers = await h.store.timers_of({"incident_id": incident_id, "kind": "deadline_overdue"})  # type: ignore[attr-defined]
    return {t["data"]["deadline"].split(":")[0] + ":" + t["data"]["stage"]: t["due_at"] for t in timers
            if t["state"] == "pending"}


async def test_across_midnight_the_timers_fall_on_the_next_day(rules: Rules) -> None:
    h = await make(rules, sh(2026, 11, 28, 23, 30))  # 较大 received 23:30
    await h.open(occurred_at="2026-11-28T23:10:00+08:00")
    found = await overdue_timers(h)
    assert found["phone:初报"] == sh(2026, 11, 29, 0, 30)  # 1 h from receipt, after midnight
    assert found["written:初报"] == sh(2026, 11, 29, 1, 30)
    assert found["follow_up:续报一"] == sh(2026, 11, 29, 8, 0)  # next morning's fixed time
    assert found["follow_up:续报二"] == sh(2026, 11, 29, 17, 0)
    reminder = await h.store.timers_of({"incident_id": "INC-1", "kind": "deadline_reminder"})
    assert sh(2026, 11, 29, 0, 20) in {t["due_at"] for t in reminder}  # 10 min before


async def test_level_ii_runs_from_occurrence_even_across_midnight(rules: Rules) -> None:
    h = await make(rules, sh(2026, 11, 29, 0, 5))
    await h.open(occurred_at="2026-11-28T23:50:00+08:00", casualties={"deaths": 10}, title="重大事故")
    assert (await overdue_timers(h))["phone:初报"] == sh(2026, 11, 29, 0, 20)  # 30 min from 23:50


async def test_minute_limits_run_through_a_holiday(rules: Rules) -> None:
    national_day = TableCalendar({date(2026, 10, d): "国庆节" for d in range(1, 9)})
    h = await make(rules, sh(2026, 10, 2, 23, 30), calendar=national_day)
    await h.open(occurred_at="2026-10-02T23:00:00+08:00")
    assert (await overdue_timers(h))["phone:初报"] == sh(2026, 10, 3, 0, 30)  # the duty room works 24 h


async def test_a_working_day_limit_skips_the_holiday(rules_text: str) -> None:
    data = yaml.safe_load(rules_text)
    data["report_limits"]["IV"]["written"] = {"working_days": 1, "clock": "received"}
    rules = load_rules(yaml.safe_dump(data, allow_unicode=True))
    national_day = TableCalendar({date(2026, 10, d): "国庆节" for d in range(1, 9)},
                                 frozenset({date(2026, 10, 10)}))
    h = await make(rules, sh(2026, 9, 30, 16, 0), calendar=national_day)
    await h.open(casualties={"deaths": 1}, title="某厂机械伤害", place="某厂")
    assert (await overdue_timers(h))["written:初报"] == sh(2026, 10, 9, 16, 0)  # 1–8 October are holidays
    h.clock.set(sh(2026, 10, 9, 16, 0))  # Friday; Saturday 10 October is a make-up workday (调休上班)
    await h.open("INC-2", report_id="R-2", casualties={"deaths": 1}, title="另一起机械伤害", place="某厂")
    assert (await overdue_timers(h, "INC-2"))["written:初报"] == sh(2026, 10, 10, 16, 0)


async def test_a_level_change_replans_and_cancels_what_no_longer_applies(rules: Rules) -> None:
    h = await make(rules, sh(2026, 11, 28, 10, 0))
    await h.open(casualties={"deaths": 1}, title="某厂机械伤害", place="某厂")  # IV: written 2 h only
    assert "phone:初报" not in await overdue_timers(h)
    h.clock.advance(minutes(20))
    await h.follow_up(report_id="F-2", title="续报：死亡3人", casualties={"deaths": 3})  # now III
    found = await overdue_timers(h)
    assert found["phone:初报"] == sh(2026, 11, 28, 11, 0)  # III: 1 h from the first receipt
    assert found["written:初报"] == sh(2026, 11, 28, 12, 0)  # the same deadline at both levels: kept, not doubled
    cancelled = await h.store.timers_of({"incident_id": "INC-1", "state": "cancelled"})
    iv_daily = [t for t in cancelled if t["due_at"] == sh(2026, 11, 29, 10, 0)]  # IV: once a day from receipt
    assert iv_daily and all("时限重算" in t["cancel_reason"] for t in iv_daily)


async def test_a_timer_claimed_after_its_deadline_was_met_reminds_nobody(rules: Rules) -> None:
    h = await make(rules, sh(2026, 11, 28, 10, 0))
    doc = await h.open()
    phone = next(d for d in doc["deadlines"] if d["kind"] == "phone")
    # met as another process claims its overdue timer: the record is written, the cancel comes too late
    await h.store.mark_met("INC-1", phone["key"], {"at": h.clock.now(), "by": "电话报告", "late": False},
                           {"key": f"deadline_met:{phone['key']}", "at": h.clock.now(), "kind": "deadline_met",
                            "text": "x"})
    before = await h.sent_to()
    h.clock.advance(minutes(61))
    await h.svc.fire_due()
    [timer] = await h.store.timers_of({"_id": f"INC-1:{phone['key']}:overdue"})
    assert timer["state"] == "fired" and timer["result"] == "时限已完成，不再提醒"
    after = await h.store.get("INC-1")
    assert after is not None
    assert not any(e["kind"] == "deadline_missed" and phone["key"] in e.get("timer_key", "")
                   for e in after["timeline"])
    reminded = (await h.sent_to())[len(before):]
    assert reminded  # other deadlines' reminders went out …
    texts = [p["body"] for p in (await h.sends())[len(before):]]
    assert not any("电话报告" in t for t in texts)  # … but none for the phone report that was made


async def test_an_overdue_timer_without_an_on_duty_answer_still_reminds_the_duty_head(rules: Rules) -> None:
    # e.g. the broker is down: scheduling cannot be asked and no published roster is held
    h = await make(rules, sh(2026, 11, 28, 10, 0))
    doc = await h.open()
    phone = next(d for d in doc["deadlines"] if d["kind"] == "phone")

    async def no_answer(query: object) -> object:
        raise TimeoutError

    h.svc.ask_on_duty = no_answer
    before = len(await h.sends())
    h.clock.advance(minutes(61))
    await h.svc.fire_due()
    [timer] = await h.store.timers_of({"_id": f"INC-1:{phone['key']}:overdue"})
    assert timer["to_roles"] == ["duty_officer", "duty_head"]
    assert timer["result"] == "已提醒值班室负责人（p-head）；值班安排服务未应答且无已发布排班表，未能确定值班人员"
    sent = [p for p in (await h.sends())[before:] if p["notification_id"].startswith(f"t{short_id(timer['_id'])}_")]
    assert [p["person_id"] for p in sent] == ["p-head"]  # waits in the outbox until the broker takes it


async def test_replanning_the_same_incident_gives_the_same_timer_keys(rules: Rules) -> None:
    h = await make(rules, sh(2026, 11, 28, 10, 0))
    doc = await h.open()
    keys = [t["_id"] for t in await h.store.timers_of({"incident_id": "INC-1"})]
    await h.svc._plan_deadlines(doc)
    assert [t["_id"] for t in await h.store.timers_of({"incident_id": "INC-1"})] == keys
