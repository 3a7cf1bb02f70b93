"""Same-event matching (R-03): one incident per real event, near-misses kept apart, decisions explained."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from services.intake.domain.areas import AreaTable
from services.intake.domain.matching import (
    IncidentView,
    MatchConfig,
    category_score,
    choose_primary,
    decide,
    score,
)
from shared.contracts import ReportV1
from shared.contracts.report import Category

AREAS = AreaTable.load("450100")
CFG = MatchConfig()
T0 = datetime(2026, 10, 1, 6, 20, tzinfo=UTC)  # 14:20 Beijing time
CORPUS = Path(__file__).resolve().parents[2] / "data/intake_corpus.jsonl"


def report(system: str, rid: str, *, minutes: int = 0, received: int = 15, **fields: Any) -> ReportV1:
    data: dict[str, Any] = {
        "source": {"system": system, "unit": "某单位", "report_id": rid},
        "occurred_at": T0 + timedelta(minutes=minutes),
        "received_at": T0 + timedelta(minutes=minutes + received),
        "area_code": "450126", "category": "production_safety",
        "place": "宾阳县黎塘镇华南化工有限公司", "title": "宾阳县黎塘镇华南化工有限公司发生爆炸事故",
        "text": "14时20分许，华南化工有限公司生产车间发生爆炸，造成2人死亡、5人受伤。",
    }
    data.update(fields)
    return ReportV1.model_validate(data)


EXPLOSION = report("binyang-yjj", "1")
LEAK = report("nn-eco", "e1", minutes=5, received=60, category="environment", area_code="450100",
              place="华南化工厂", title="宾阳县华南化工厂化学品泄漏",
              text="华南化工厂爆炸后储罐破损，发生化学品泄漏，我局已开展大气和水体应急监测。")


def test_explosion_and_leak_from_environment_bureau_are_one_event() -> None:
    result = score(EXPLOSION, LEAK, AREAS, CFG)
    assert result.gated is None
    assert result.score >= CFG.threshold
    assert result.features["area_inferred"] == "450126/450126"  # city code narrowed by "宾阳县" in the text
    assert result.features["category"] == 0.9


def test_score_is_symmetric() -> None:
    assert score(EXPLOSION, LEAK, AREAS, CFG).score == score(LEAK, EXPLOSION, AREAS, CFG).score


def test_same_kind_in_same_county_next_day_stays_apart() -> None:
    next_day = report("binyang-yjj", "2", minutes=20 * 60)
    result = score(EXPLOSION, next_day, AREAS, CFG)
    assert result.score == 0.0 and result.gated is not None and "事发时间相差超过" in result.gated


def test_same_district_same_day_different_sites_stay_apart() -> None:
    road_a = report("nn-traffic", "t1", category="road_traffic", area_code="450103", place="民族大道与青山路交叉口",
                    title="青秀区民族大道与青山路交叉口发生一起交通事故", text="小型客车与货车相撞，1人死亡。")
    road_b = report("nn-traffic", "t2", minutes=110, category="road_traffic", area_code="450103",
                    place="竹溪大道高架桥", title="青秀区竹溪大道高架桥发生一起交通事故", text="两车相撞，3人受伤。")
    result = score(road_a, road_b, AREAS, CFG)
    assert result.score == 0.0 and result.gated is not None and "事发地点不同" in result.gated


def test_different_categories_same_district_same_day_stay_apart() -> None:
    fire = report("nn-fire", "f1", minutes=30, category="fire", area_code="450126", place="宾州镇幸福里小区8栋",
                  title="宾阳县幸福里小区火灾", text="居民楼起火。")
    food = report("nn-edu", "d1", minutes=40, category="food_poisoning", place="宾阳县第一中学",
                  title="宾阳县第一中学学生疑似食物中毒", text="学生呕吐腹痛。")
    assert score(fire, food, AREAS, CFG).gated is not None


def test_different_counties_stay_apart() -> None:
    other = report("shanglin-yjj", "x", area_code="450125", place="大丰镇", title="上林县大丰镇化工厂爆炸",
                   text="大丰镇一化工厂发生爆炸，有人员受伤。")
    result = score(EXPLOSION, other, AREAS, CFG)
    assert result.features["area_relation"] == "siblings"
    assert result.score == 0.0 and result.gated == "事发地为不同区县"


def test_town_only_place_is_not_a_conflict() -> None:
    town_only = report("binyang-zbs", "z1", minutes=5, place="黎塘镇", title="黎塘镇华南化工有限公司爆炸起火")
    assert score(EXPLOSION, town_only, AREAS, CFG).score >= CFG.threshold


def test_missing_event_time_falls_back_to_received_time() -> None:
    no_time = report("binyang-zbs", "z2", minutes=3, occurred_at=None)
    result = score(EXPLOSION, no_time, AREAS, CFG)
    assert result.score >= CFG.threshold and result.features["time_gap_min"] == 18.0


def test_category_table() -> None:
    assert category_score(Category.fire, Category.fire, CFG) == 1.0
    assert category_score(Category.production_safety, Category.environment, CFG) == 0.9
    assert category_score(Category.other, Category.drowning, CFG) == CFG.other_category_score
    assert category_score(Category.drowning, Category.food_poisoning, CFG) == 0.0


def test_decide_attaches_with_reason_and_features() -> None:
    incident = IncidentView("INC-1", [EXPLOSION])
    decision = decide(LEAK, [incident], CFG, AREAS)
    assert decision.incident_id == "INC-1"
    assert decision.score >= CFG.threshold and "category" in decision.features
    assert "与事件 INC-1 判定为同一事件" in decision.reason_zh and "阈值" in decision.reason_zh


def test_decide_opens_new_incident_with_reason() -> None:
    next_day = report("binyang-yjj", "2", minutes=20 * 60)
    decision = decide(next_day, [IncidentView("INC-1", [EXPLOSION])], CFG, AREAS)
    assert decision.incident_id is None and "新建事件" in decision.reason_zh
    assert decide(next_day, [], CFG, AREAS).incident_id is None


def test_explicit_follow_up_links_directly_even_days_later() -> None:
    follow = report("binyang-yjj", "1-x1", minutes=3 * 24 * 60, follow_up_of="1", category="other",
                    place="另写的地点", title="续报")
    decision = decide(follow, [IncidentView("INC-2", [LEAK]), IncidentView("INC-1", [EXPLOSION])], CFG, AREAS)
    assert decision.incident_id == "INC-1" and decision.score == 1.0 and "续报" in decision.reason_zh


def test_follow_up_of_another_systems_id_is_not_a_link() -> None:
    follow = report("nn-eco", "e2", minutes=3 * 24 * 60, follow_up_of="1")
    assert decide(follow, [IncidentView("INC-1", [EXPLOSION])], CFG, AREAS).incident_id is None


def test_decide_is_independent_of_candidate_order() -> None:
    twin = report("nn-fire", "f9", minutes=1, title="黎塘镇华南化工有限公司爆炸起火", category="fire")
    incidents = [IncidentView("INC-B", [EXPLOSION]), IncidentView("INC-A", [EXPLOSION])]
    assert decide(twin, incidents, CFG, AREAS).incident_id == "INC-A"
    assert decide(twin, list(reversed(incidents)), CFG, AREAS).incident_id == "INC-A"


def test_choose_primary_earliest_received_then_system_then_id() -> None:
    a = report("b-sys", "2", received=10)
    b = report("a-sys", "9", received=10)
    c = report("a-sys", "1", received=30)
    assert choose_primary([c, a, b]) is b
    assert choose_primary([a, c]) is a
    with pytest.raises(ValueError):
        choose_primary([])


def _corpus_subset(events: set[str]) -> list[tuple[ReportV1, str, bool]]:
    rows = []
    for line in CORPUS.read_text(encoding="utf-8").splitlines():
        raw = json.loads(line)
        event, primary = raw.pop("_event"), raw.pop("_primary")
        if event in events:
            rows.append((ReportV1.model_validate(raw), event, primary))
    return sorted(rows, key=lambda r: (r[0].received_at, r[0].key))


def test_clusters_near_miss_subset_of_the_corpus() -> None:
    # E002/E003: two road accidents in 青秀区 on one morning; E004: a fire there that afternoon;
    # E005/E006: road accidents in 宾阳县 on consecutive days; E009/E010: drownings at one river, next day.
    events = {"E002", "E003", "E004", "E005", "E006", "E009", "E010"}
    rows = _corpus_subset(events)
    incidents: dict[str, list[ReportV1]] = {}
    for rep, _, _ in rows:
        decision = decide(rep, [IncidentView(i, rs) for i, rs in incidents.items()], CFG, AREAS)
        incidents.setdefault(decision.incident_id or f"I{len(incidents) + 1}", []).append(rep)
    label = {r.key: e for r, e, _ in rows}
    grouped = sorted(sorted({label[r.key] for r in members}) for members in incidents.values())
    assert grouped == [[e] for e in sorted(events)]
    primaries = {r.key for r, _, p in rows if p}
    assert {choose_primary(members).key for members in incidents.values()} == primaries
