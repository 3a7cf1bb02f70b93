"""Same-event matching (R-03): is a new report about an incident already open?

Four kinds of evidence, each a feature in [0, 1] recorded with the decision:
- area: GB/T 2260 hierarchy (same county, or one inside the other; different counties are not the same
  event unless the texts say so very strongly);
- time: occurred_at proximity within a window (received_at stands in when occurred_at is missing);
- category: a compatibility table (an explosion reported by the environment bureau as a leak is one event);
- place text and report text: jieba + rapidfuzz (textsim.py), area names removed.
Hard gates first (time window, incompatible categories, unrelated areas), then a weighted score against a
threshold. Every number is in MatchConfig with its documented default.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from shared.contracts import ReportV1
from shared.contracts.report import Category

from .areas import AreaRelation, AreaTable
from .textsim import bag, bag_similarity, char_similarity, words

C = Category
# A leading town or sub-district ("黎塘镇", "大沙田街道") says where, but not which site.
_TOWN = re.compile(r"^[\u4e00-\u9fff]{1,6}?(镇|乡|街道)")
# Pairs of categories that one real event is often filed under by different units, with a strength.
DEFAULT_CATEGORY_COMPAT: dict[frozenset[Category], float] = {
    frozenset({C.production_safety, C.fire}): 0.9,  # 爆炸起火
    frozenset({C.production_safety, C.environment}): 0.9,  # 爆炸 → 泄漏、污染
    frozenset({C.fire, C.environment}): 0.8,  # 火灾烟气、消防废水
    frozenset({C.road_traffic, C.environment}): 0.8,  # 槽罐车侧翻泄漏
    frozenset({C.road_traffic, C.production_safety}): 0.7,  # 危化品运输
    frozenset({C.road_traffic, C.fire}): 0.7,  # 车辆起火
    frozenset({C.natural_disaster, C.geological}): 0.9,
    frozenset({C.natural_disaster, C.drowning}): 0.7,  # 山洪冲走
    frozenset({C.natural_disaster, C.earthquake}): 0.9,
    frozenset({C.earthquake, C.geological}): 0.9,
    frozenset({C.geological, C.production_safety}): 0.6,  # 工地边坡坍塌
    frozenset({C.public_health, C.food_poisoning}): 0.9,
    frozenset({C.social_security, C.mass_incident}): 0.8,
    frozenset({C.environment, C.public_health}): 0.6,  # 水源污染致病
}


@dataclass(frozen=True)
class MatchConfig:
    """Decision thresholds as data. Defaults were tuned on tests/data/intake_corpus.jsonl (bench/intake_quality.py)."""

    time_window: timedelta = timedelta(hours=6)  # occurred_at further apart: never the same event
    received_fallback_window: timedelta = timedelta(hours=12)  # when a report has no occurred_at
    threshold: float = 0.62
    weight_area: float = 0.25
    weight_time: float = 0.20
    weight_category: float = 0.15
    weight_place: float = 0.20
    weight_text: float = 0.20
    area_nested_score: float = 0.8  # a city-level report against a county-level one
    area_missing_score: float = 0.5  # one report gives no area code
    sibling_min_text: float = 0.8  # different counties: only with near-identical place and text
    place_conflict_below: float = 0.5  # two specific place texts this unlike: different events
    place_contained_min: float = 0.9  # a place text found (nearly) verbatim in the other report's words
    place_specific_chars: int = 4  # a place text is "specific" with this many characters beyond area names
    other_category_score: float = 0.5  # "other" is compatible with anything, weakly
    category_compat: dict[frozenset[Category], float] = field(default_factory=lambda: dict(DEFAULT_CATEGORY_COMPAT))


@dataclass(frozen=True)
class MatchScore:
    score: float
    features: dict[str, float | str]
    gated: str | None = None  # the gate that ruled the pair out (Chinese), or None


@dataclass(frozen=True)
class IncidentView:
    """What intake knows of an open incident: its reports (primary first or in any order)."""

    incident_id: str
    reports: Sequence[ReportV1]


@dataclass(frozen=True)
class MatchDecision:
    incident_id: str | None  # None: open a new incident
    score: float
    features: dict[str, float | str]
    reason_zh: str


def category_score(a: Category, b: Category, cfg: MatchConfig) -> float:
    if a == b:
        return 1.0
    if C.other in (a, b):
        return cfg.other_category_score
    return cfg.category_compat.get(frozenset({a, b}), 0.0)


def _when(report: ReportV1) -> tuple[datetime | None, bool]:
    """The event time, and whether it is the real occurred_at (else received_at stands in)."""
    return (report.occurred_at, True) if report.occurred_at else (report.received_at, False)


def _area_words(code: str | None, areas: AreaTable) -> set[str]:
    """Names of a report's area and its ancestors, with and without the 县/区/市 suffix."""
    words: set[str] = set()
    if code:
        for c in (code, *areas.ancestors(code)):
            name = areas.name(c) or ""
            words.update({name, name[:-1], name[:2]})
    return {w for w in words if len(w) >= 2}


# ---- what each report brings to every comparison, computed once ----------------------------------------
# An open incident's reports are compared again with every new report near it, so everything derived from
# one report alone (segmentation, effective area, stripped place) is kept, keyed by the fields it derives
# from (reports are immutable values; the key is their content, so a report read again from the store hits).
# What also depends on the other report's area (the area names dropped from both texts) is kept per pair of
# area codes. Caches are bounded; a miss only recomputes the same values.
_PROFILES = 4096
_PER_PROFILE_PAIRS = 64


@dataclass(frozen=True)
class _Drop:
    """The area names dropped from both texts of a pair: the union and its longest-first order."""

    words: set[str]
    longest_first: list[str]


@lru_cache(maxsize=1024)
def _drop(code_a: str | None, code_b: str | None, areas: AreaTable) -> _Drop:
    # built exactly as it always was (a fresh union, in this order): _strip's order for equal lengths is the
    # set's iteration order, so the same construction keeps every stripped text the same
    words = _area_words(code_a, areas) | _area_words(code_b, areas)
    return _Drop(words, sorted(words, key=len, reverse=True))


@dataclass(frozen=True)
class _PlaceSide:
    bag: str  # textsim.bag of the place's words
    bare: str  # the place without area names
    specific: int  # characters left once a leading town is removed too


@dataclass(eq=False)
class _Profile:
    effective: str | None  # the area code, narrowed to the one county its words name (_effective_area)
    place: str  # stripped
    full: str  # place, title and text, for finding the other report's place in
    _place_words: tuple[str, ...] | None = None
    _body_words: tuple[str, ...] | None = None
    _places: dict[tuple[str | None, str | None], _PlaceSide] = field(default_factory=dict)
    _bodies: dict[tuple[str | None, str | None], str] = field(default_factory=dict)

    def place_side(self, pair: tuple[str | None, str | None], drop: _Drop) -> _PlaceSide:
        side = self._places.get(pair)
        if side is None:
            if self._place_words is None:
                self._place_words = words(self.place)
            bare = _strip(self.place, drop.longest_first)
            side = _PlaceSide(bag(self._place_words, drop.words), bare, len(_TOWN.sub("", bare)))
            _remember(self._places, pair, side)
        return side

    def body_bag(self, pair: tuple[str | None, str | None], drop: _Drop) -> str:
        found = self._bodies.get(pair)
        if found is None:
            if self._body_words is None:
                self._body_words = words(self.full[len(self.place) + 1:])  # title and text
            found = bag(self._body_words, drop.words)
            _remember(self._bodies, pair, found)
        return found


def _remember(cache: dict[Any, Any], key: Any, value: Any) -> None:
    if len(cache) >= _PER_PROFILE_PAIRS:
        cache.clear()
    cache[key] = value


def _profile(report: ReportV1, areas: AreaTable) -> _Profile:
    return _profile_of(report.area_code, report.place, report.title, report.text, areas)


@lru_cache(maxsize=_PROFILES)
def _profile_of(code: str | None, place: str | None, title: str, text: str, areas: AreaTable) -> _Profile:
    stripped = (place or "").strip()
    return _Profile(_effective_area(code, place, title, text, areas), stripped, f"{stripped} {title} {text}")


def score(a: ReportV1, b: ReportV1, areas: AreaTable, cfg: MatchConfig | None = None) -> MatchScore:
    """How likely two reports describe one real event (symmetric)."""
    result = _score(a, b, areas, cfg or MatchConfig(), explain_gate=True)
    assert result is not None
    return result


def _score(a: ReportV1, b: ReportV1, areas: AreaTable, cfg: MatchConfig, *, explain_gate: bool,
           pa: _Profile | None = None) -> MatchScore | None:
    """``score``; with ``explain_gate`` False a gated pair gives None (cheaper: a gated pair scores 0.0)."""
    features: dict[str, float | str] = {}
    # time gate
    (ta, real_a), (tb, real_b) = _when(a), _when(b)
    window = cfg.time_window if real_a and real_b else cfg.received_fallback_window
    if ta is not None and tb is not None:
        gap = abs(ta - tb)
        if gap > window and not explain_gate:
            return None  # the commonest gate, decided before any feature is built
        features["time_gap_min"] = round(gap.total_seconds() / 60, 1)
        if gap > window:
            return MatchScore(0.0, features, f"事发时间相差超过{window.total_seconds() / 3600:g}小时")
        features["time"] = round(1.0 - gap / window, 3)
    else:
        features["time"] = 0.5
    # category gate
    features["category"] = category_score(a.category, b.category, cfg)
    if features["category"] == 0.0:
        if not explain_gate:
            return None
        return MatchScore(0.0, features, f"事件类别不相容（{a.category.value}/{b.category.value}）")
    # area gate (a city-level code is narrowed to the one county the report's words name, if any)
    pa = pa or _profile(a, areas)
    pb = _profile(b, areas)
    code_a, code_b = pa.effective, pb.effective
    if code_a != a.area_code or code_b != b.area_code:
        features["area_inferred"] = f"{code_a}/{code_b}"
    if code_a and code_b:
        relation = _relation(code_a, code_b, areas)
        features["area_relation"] = relation.value
        area = {AreaRelation.same: 1.0, AreaRelation.nested: cfg.area_nested_score}.get(relation, 0.0)
        if relation in (AreaRelation.same_province, AreaRelation.unrelated):
            if not explain_gate:
                return None
            return MatchScore(0.0, features, "事发地不在同一地市")
    else:
        area = cfg.area_missing_score
    features["area"] = area
    # texts
    pair = (a.area_code, b.area_code)
    drop = _drop(a.area_code, b.area_code, areas)
    place_a, place_b = pa.place, pb.place
    if place_a and place_b:
        side_a, side_b = pa.place_side(pair, drop), pb.place_side(pair, drop)
        bare_a, bare_b = side_a.bare, side_b.bare
        features["place"] = round(max(bag_similarity(side_a.bag, side_b.bag),
                                      char_similarity(bare_a, bare_b),
                                      _contained(bare_a, pb.full, cfg), _contained(bare_b, pa.full, cfg)), 3)
        specific = min(side_a.specific, side_b.specific) >= cfg.place_specific_chars
        if specific and float(features["place"]) < cfg.place_conflict_below:
            if not explain_gate:
                return None
            return MatchScore(0.0, features, f"事发地点不同（{place_a[:30]} / {place_b[:30]}）")
    else:
        features["place"] = 0.5
    features["text"] = round(bag_similarity(pa.body_bag(pair, drop), pb.body_bag(pair, drop)), 3)
    if area == 0.0 and min(float(features["place"]), float(features["text"])) < cfg.sibling_min_text:
        if not explain_gate:
            return None
        return MatchScore(0.0, features, "事发地为不同区县")
    total = (cfg.weight_area * area + cfg.weight_time * float(features["time"])
             + cfg.weight_category * float(features["category"]) + cfg.weight_place * float(features["place"])
             + cfg.weight_text * float(features["text"]))
    weights = cfg.weight_area + cfg.weight_time + cfg.weight_category + cfg.weight_place + cfg.weight_text
    return MatchScore(round(total / weights, 4), features)


@lru_cache(maxsize=4096)
def _relation(code_a: str, code_b: str, areas: AreaTable) -> AreaRelation:
    return areas.relation(code_a, code_b)


def _effective_area(code: str | None, place: str | None, title: str, text: str, areas: AreaTable) -> str | None:
    if code is None or not areas.descendants(code):
        return code
    named = areas.mentioned_in(f"{place or ''} {title} {text}", code)
    counties = {c for c in named if not areas.descendants(c)}
    return counties.pop() if len(counties) == 1 else code


def _contained(place: str, other_text: str, cfg: MatchConfig) -> float:
    """A short place ("城厢镇") that the other report names in its own words is the same place."""
    if len(place) < 2:
        return 0.0
    found = char_similarity(place, other_text)
    return found if found >= cfg.place_contained_min else 0.0


def _strip(text: str, longest_first: Iterable[str]) -> str:
    for word in longest_first:
        text = text.replace(word, "")
    return text


def _explicit_follow_up(report: ReportV1, incident: IncidentView) -> bool:
    if not report.follow_up_of:
        return False
    return any(r.source.system == report.source.system and r.source.report_id == report.follow_up_of
               for r in incident.reports)


def decide(report: ReportV1, candidates: Sequence[IncidentView], cfg: MatchConfig,
           areas: AreaTable | None = None) -> MatchDecision:
    """Attach ``report`` to the best-scoring open incident at or above the threshold, or open a new one.

    ``candidates`` are the incidents the store found near the report (time and area); order does not
    matter: ties go to the smallest incident_id so that every process decides the same way."""
    areas = areas or AreaTable.load()
    ordered = sorted(candidates, key=lambda i: i.incident_id)
    for incident in ordered:
        if _explicit_follow_up(report, incident):
            return MatchDecision(incident.incident_id, 1.0, {"follow_up_of": report.follow_up_of or ""},
                                 f"续报：本系统报告 {report.follow_up_of} 的续报，直接归入")
    best: tuple[float, str, MatchScore] | None = None
    mine = _profile(report, areas)
    for incident in ordered:
        for other in incident.reports:
            # a gated pair scores 0.0, which never beats a best already held: only the first needs its reason
            result = _score(report, other, areas, cfg, explain_gate=best is None, pa=mine)
            if result is not None and (best is None or result.score > best[0]):  # strictly greater: ties stay with the smaller id
                best = (result.score, incident.incident_id, result)
    if best is None:
        return MatchDecision(None, 0.0, {}, "无可比对的在办事件，新建事件")
    best_score, incident_id, result = best
    if best_score >= cfg.threshold:
        return MatchDecision(incident_id, best_score, result.features,
                             f"与事件 {incident_id} 判定为同一事件：{_explain(result)}，综合得分 {best_score:.2f} ≥ 阈值 {cfg.threshold:.2f}")
    why = result.gated or f"{_explain(result)}，综合得分 {best_score:.2f} < 阈值 {cfg.threshold:.2f}"
    return MatchDecision(None, best_score, result.features, f"未匹配到同一事件（最接近 {incident_id}：{why}），新建事件")


def _explain(result: MatchScore) -> str:
    f = result.features
    parts = [f"地域 {f.get('area_relation', '未知')}"]
    if "time_gap_min" in f:
        parts.append(f"事发时间相差 {f['time_gap_min']} 分钟")
    parts.append(f"类别相容度 {f.get('category')}")
    parts.append(f"地点相似度 {f.get('place')}")
    parts.append(f"文本相似度 {f.get('text')}")
    return "、".join(parts)


def choose_primary(reports: Iterable[ReportV1]) -> ReportV1:
    """The earliest received is the primary (R-03); ties by (system, report_id) so the choice is deterministic."""
    ordered = sorted(reports, key=_primary_key)
    if not ordered:
        raise ValueError("choose_primary needs at least one report")
    return ordered[0]


def _primary_key(report: ReportV1) -> tuple[datetime, str, str]:
    if report.received_at is None:
        raise ValueError(f"report {report.key} has no received_at; intake sets it on receipt")
    return (report.received_at, report.source.system, report.source.report_id)
