"""Grading as the service applies it (service.py): the table boundaries hold end to end (以上 includes the
number, 以下 excludes it), every follow-up re-grades, a rise re-opens review, every decision names the rules."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from services.escalation.domain.assessment import LevelChangeError
from services.escalation.domain.rules import Rules
from tests.unit.escalation.service_harness import make

START = datetime(2026, 11, 28, 2, 0, tzinfo=UTC)


@pytest.mark.parametrize(("deaths", "level"), [
    (2, "IV"), (3, "III"),    # 3人以上 includes 3
    (9, "III"), (10, "II"),   # 10人以下 excludes 10: 10 is 重大
    (29, "II"), (30, "I"),
])
async def test_death_toll_boundaries_through_the_service(rules: Rules, deaths: int, level: str) -> None:
    h = await make(rules, START)
    doc = await h.open(casualties={"deaths": deaths}, title="某厂事故", place="某厂")
    assert doc["level"] == level == doc["suggested_level"]
    assert doc["level_history"]["entries"][0]["action"] == "suggested"


async def test_each_follow_up_regrades_and_a_rise_reopens_review(rules: Rules) -> None:
    h = await make(rules, START)
    doc = await h.open(casualties={"deaths": 2}, title="某厂事故", place="某厂")
    assert doc["level"] == "IV" and doc["review"]["state"] == "not_required"
    doc = await h.follow_up(report_id="F-2", title="续报：死亡3人", casualties={"deaths": 3})
    assert doc["level"] == "III" and doc["review"]["state"] == "awaiting_review"
    assert [s["stage"] for s in doc["stages"]] == ["初报", "续报一"]
    doc = await h.follow_up(report_id="F-3", title="续报：核实为死亡2人", casualties={"deaths": 2})
    assert doc["level"] == "III"  # the larger known figure stands: a lower report does not lower the level
    graded = [e for e in doc["timeline"] if e["kind"] == "grading"]
    assert len(graded) == 3 and all(e["rules_version"] == rules.version for e in doc["timeline"])


async def test_officer_override_needs_a_reason_and_keeps_history(rules: Rules) -> None:
    h = await make(rules, START)
    doc = await h.open(casualties={"deaths": 2}, title="某厂事故", place="某厂")
    before = await h.snapshot()
    with pytest.raises(LevelChangeError, match="理由"):
        await h.svc.decide_level("INC-1", action="override", by="p-duty-1", shown_revision=doc["revision"],
                                 level="III", reason=" ")
    assert await h.snapshot() == before
    doc = await h.svc.decide_level("INC-1", action="override", by="p-duty-1", shown_revision=doc["revision"],
                                   level="III", reason="涉及危化品")
    assert doc["level"] == "III" and doc["suggested_level"] == "IV" and doc["review"]["state"] == "awaiting_review"
    assert [e["action"] for e in doc["level_history"]["entries"]] == ["suggested", "overridden"]
