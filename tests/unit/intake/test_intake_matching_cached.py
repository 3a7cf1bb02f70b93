"""Cached matching decides exactly as the plain computation did.

matching.py keeps what each report brings to every comparison (segmentation, effective area, stripped place,
word bags) and textsim.py segments a block at a time; neither may change a single score, feature or
decision. The reference below is the straightforward computation as it stood before the caches (jieba on
the whole text, every derived value recomputed for every pair), kept here verbatim as the oracle.
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from pathlib import Path

import jieba
import pytest
from rapidfuzz import fuzz

from services.intake.domain import matching, textsim
from services.intake.domain.areas import AreaRelation, AreaTable
from services.intake.domain.matching import (
    IncidentView,
    MatchConfig,
    MatchDecision,
    MatchScore,
    category_score,
    decide,
    score,
)
from services.intake.domain.normalise import parse_report
from shared.contracts import ReportV1

AREAS = AreaTable.load("450100")
CFG = MatchConfig()
CORPUS = Path(__file__).resolve().parents[2] / "data/intake_corpus.jsonl"


# ---- the reference: matching as it was computed before any cache --------------------------------------
def _ref_tokens(text: str, drop: Iterable[str] = ()) -> list[str]:
    dropped = set(drop)
    out: list[str] = []
    for word in jieba.lcut(text):
        word = word.strip()
        if not word or word in textsim.STOPWORDS or word in dropped or re.match(r"^[\W\d_a-zA-Z]+$", word):
            continue
        out.append(word)
    return out


def _ref_similarity(a: list[str], b: list[str]) -> float:
    if not a or not b:
        return 0.0
    left, right = " ".join(sorted(set(a))), " ".join(sorted(set(b)))
    return (fuzz.token_set_ratio(left, right) + fuzz.token_sort_ratio(left, right)) / 200.0


def _ref_char_similarity(a: str, b: str) -> float:
    if not a or not b:
        return 0.0
    return fuzz.partial_ratio(a, b) / 100.0 if min(len(a), len(b)) >= 2 else 0.0


def _ref_area_words(report: ReportV1, areas: AreaTable) -> set[str]:
    words: set[str] = set()
    if report.area_code:
        for code in (report.area_code, *areas.ancestors(report.area_code)):
            name = areas.name(code) or ""
            words.update({name, name[:-1], name[:2]})
    return {w for w in words if len(w) >= 2}


def _ref_effective_area(report: ReportV1, areas: AreaTable) -> str | None:
    code = report.area_code
    if code is None or not areas.descendants(code):
        return code
    named = areas.mentioned_in(f"{report.place or ''} {report.title} {report.text}", code)
    counties = {c for c in named if not areas.descendants(c)}
    return counties.pop() if len(counties) == 1 else code


def _ref_contained(place: str, other_text: str, cfg: MatchConfig) -> float:
    if len(place) < 2:
        return 0.0
    found = _ref_char_similarity(place, other_text)
    return found if found >= cfg.place_contained_min else 0.0


def _ref_strip(text: str, drop: Iterable[str]) -> str:
    for word in sorted(drop, key=len, reverse=True):
        text = text.replace(word, "")
    return text


_TOWN = re.compile(r"^[\u4e00-\u9fff]{1,6}?(镇|乡|街道)")


def _ref_when(report: ReportV1) -> tuple[datetime | None, bool]:
    return (report.occurred_at, True) if report.occurred_at else (report.received_at, False)


def _ref_score(a: ReportV1, b: ReportV1, areas: AreaTable, cfg: MatchConfig) -> MatchScore:
    features: dict[str, float | str] = {}
    (ta, real_a), (tb, real_b) = _ref_when(a), _ref_when(b)
    window = cfg.time_window if real_a and real_b else cfg.received_fallback_window
    if ta is not None and tb is not None:
        gap = abs(ta - tb)
        features["time_gap_min"] = round(gap.total_seconds() / 60, 1)
        if gap > window:
            return MatchScore(0.0, features, f"事发时间相差超过{window.total_seconds() / 3600:g}小时")
        features["time"] = round(1.0 - gap / window, 3)
    else:
        features["time"] = 0.5
    features["category"] = category_score(a.category, b.category, cfg)
    if features["category"] == 0.0:
        return MatchScore(0.0, features, f"事件类别不相容（{a.category.value}/{b.category.value}）")
    code_a, code_b = _ref_effective_area(a, areas), _ref_effective_area(b, areas)
    if code_a != a.area_code or code_b != b.area_code:
        features["area_inferred"] = f"{code_a}/{code_b}"
    if code_a and code_b:
        relation = areas.relation(code_a, code_b)
        features["area_relation"] = relation.value
        area = {AreaRelation.same: 1.0, AreaRelation.nested: cfg.area_nested_score}.get(relation, 0.0)
        if relation in (AreaRelation.same_province, AreaRelation.unrelated):
            return MatchScore(0.0, features, "事发地不在同一地市")
    else:
        area = cfg.area_missing_score
    features["area"] = area
    drop = _ref_area_words(a, areas) | _ref_area_words(b, areas)
    place_a, place_b = (a.place or "").strip(), (b.place or "").strip()
    full_a, full_b = f"{place_a} {a.title} {a.text}", f"{place_b} {b.title} {b.text}"
    if place_a and place_b:
        bare_a, bare_b = _ref_strip(place_a, drop), _ref_strip(place_b, drop)
        features["place"] = round(max(_ref_similarity(_ref_tokens(place_a, drop), _ref_tokens(place_b, drop)),
                                      _ref_char_similarity(bare_a, bare_b),
                                      _ref_contained(bare_a, full_b, cfg), _ref_contained(bare_b, full_a, cfg)), 3)
        specific = min(len(_TOWN.sub("", bare_a)), len(_TOWN.sub("", bare_b))) >= cfg.place_specific_chars
        if specific and float(features["place"]) < cfg.place_conflict_below:
            return MatchScore(0.0, features, f"事发地点不同（{place_a[:30]} / {place_b[:30]}）")
    else:
        features["place"] = 0.5
    features["text"] = round(_ref_similarity(_ref_tokens(f"{a.title} {a.text}", drop),
                                             _ref_tokens(f"{b.title} {b.text}", drop)), 3)
    if area == 0.0 and min(float(features["place"]), float(features["text"])) < cfg.sibling_min_text:
        return MatchScore(0.0, features, "事发地为不同区县")
    total = (cfg.weight_area * area + cfg.weight_time * float(features["time"])
             + cfg.weight_category * float(features["category"]) + cfg.weight_place * float(features["place"])
             + cfg.weight_text * float(features["text"]))
    weights = cfg.weight_area + cfg.weight_time + cfg.weight_category + cfg.weight_place + cfg.weight_text
    return MatchScore(round(total / weights, 4), features)


def _ref_decide(report: ReportV1, candidates: Sequence[IncidentView], cfg: MatchConfig,
                areas: AreaTable) -> MatchDecision:
    """decide's loop with the reference score (follow-ups and the reason text come from the real module)."""
    for incident in sorted(candidates, key=lambda i: i.incident_id):
        if matching._explicit_follow_up(report, incident):
            return decide(report, [incident], cfg, areas)
    best: tuple[float, str, MatchScore] | None = None
    for incident in sorted(candidates, key=lambda i: i.incident_id):
        for other in incident.reports:
            result = _ref_score(report, other, areas, cfg)
            if best is None or result.score > best[0]:
                best = (result.score, incident.incident_id, result)
    if best is None:
        return MatchDecision(None, 0.0, {}, "无可比对的在办事件，新建事件")
    best_score, incident_id, result = best
    explain = matching._explain(result)
    if best_score >= cfg.threshold:
        return MatchDecision(incident_id, best_score, result.features,
                             f"与事件 {incident_id} 判定为同一事件：{explain}，综合得分 {best_score:.2f} ≥ 阈值 {cfg.threshold:.2f}")
    why = result.gated or f"{explain}，综合得分 {best_score:.2f} < 阈值 {cfg.threshold:.2f}"
    return MatchDecision(None, best_score, result.features, f"未匹配到同一事件（最接近 {incident_id}：{why}），新建事件")


# ---- inputs ------------------------------------------------------------------------------------------
def _corpus() -> list[ReportV1]:
    rows = []
    for line in CORPUS.read_text(encoding="utf-8").splitlines():
        raw = json.loads(line)
        del raw["_event"], raw["_primary"]
        received = datetime.fromisoformat(raw["received_at"])
        rows.append(parse_report(raw, received_at=received, now=received, areas=AREAS, max_bytes=1 << 20))
    return sorted(rows, key=lambda r: (r.received_at, r.key))


def _mixed(corpus: list[ReportV1], n: int, seed: int) -> list[ReportV1]:
    """Reports stitched from corpus parts with varied codes (county, city, other city, none), places
    (missing, with area names, town only), times (close, far, missing) and categories: every gate and branch."""
    rng = random.Random(seed)
    codes = [None, "450100", "450102", "450103", "450110", "450126", "450127", "450181", "450200", "450202"]
    places = [None, "", "  ", "城厢镇", "南宁市武鸣区城厢镇", "宾阳县黎塘镇华南化工有限公司", "武鸣区", "南宁"]
    base = corpus[0].received_at
    assert base is not None
    out = []
    for i in range(n):
        a, b, c = rng.choice(corpus), rng.choice(corpus), rng.choice(corpus)
        when = base + timedelta(minutes=rng.randrange(0, 20 * 60, 7))
        out.append(a.model_copy(update={
            "source": a.source.model_copy(update={"report_id": f"mix-{seed}-{i}"}),
            "area_code": rng.choice(codes + [a.area_code] * 3),
            "place": rng.choice(places + [a.place, b.place, c.place] * 2),
            "title": b.title, "text": rng.choice([c.text, b.text, ""]),
            "category": rng.choice([a.category, b.category, c.category]),
            "occurred_at": None if rng.random() < 0.15 else when,
            "received_at": when + timedelta(minutes=rng.randrange(5, 90)),
            "follow_up_of": None,
        }))
    return out


def _same(a: MatchScore, b: MatchScore) -> bool:
    return (a.score, list(a.features.items()), a.gated) == (b.score, list(b.features.items()), b.gated)


def _decided(a: MatchDecision, b: MatchDecision) -> bool:
    return (a.incident_id, a.score, list(a.features.items()), a.reason_zh) == \
        (b.incident_id, b.score, list(b.features.items()), b.reason_zh)


@pytest.fixture(scope="module")
def corpus() -> list[ReportV1]:
    return _corpus()


# ---- the proofs --------------------------------------------------------------------------------------
def test_segmentation_a_block_at_a_time_is_jiebas() -> None:
    texts = [json.loads(line)[field] for line in CORPUS.read_text(encoding="utf-8").splitlines()
             for field in ("title", "text", "place", "measures") if json.loads(line).get(field)]
    texts += ["", " ", "\r\n", "a\r\nb", "武鸣区\r\n城厢镇", "ABC-12.5%某厂 ，，  发生\t事故\u3000 现场", "😀爆炸😀",
              "南宁市西乡塘区\n\n", "\r", "\n\r\n\r", "G72泉南高速K1234+500处两车追尾", "3人死亡、5人受伤。"]
    for text in texts:
        assert list(textsim._segment(text)) == jieba.lcut(text), text


def test_every_corpus_pair_scores_as_before(corpus: list[ReportV1]) -> None:
    for a in corpus:
        for b in corpus:
            assert _same(score(a, b, AREAS, CFG), _ref_score(a, b, AREAS, CFG)), (a.key, b.key)


@pytest.mark.parametrize("seed", [1, 2])
def test_every_pair_of_stitched_reports_scores_as_before(corpus: list[ReportV1], seed: int) -> None:
    mixed = _mixed(corpus, 90, seed)
    gates: set[str | None] = set()
    for a in mixed:
        for b in mixed:
            expected = _ref_score(a, b, AREAS, CFG)
            assert _same(score(a, b, AREAS, CFG), expected), (a.model_dump(), b.model_dump())
            gates.add(expected.gated and expected.gated[:4])
    assert len(gates) >= 5  # the stitched reports did reach the gates, and passed them


def test_a_report_read_again_or_scored_again_gives_the_same(corpus: list[ReportV1]) -> None:
    a, b = corpus[0], corpus[1]
    first = score(a, b, AREAS, CFG)
    again = ReportV1.model_validate(a.model_dump(mode="json", by_alias=True))  # a new object, as the store gives
    assert _same(score(again, b, AREAS, CFG), first) and _same(score(a, b, AREAS, CFG), first)
    edited = a.model_copy(update={"place": "另一处完全不同的地方某某水库", "area_code": "450126"})
    assert _same(score(edited, b, AREAS, CFG), _ref_score(edited, b, AREAS, CFG))


def test_replayed_corpus_and_stitched_reports_decide_as_before(corpus: list[ReportV1]) -> None:
    stream = sorted(corpus + _mixed(corpus, 120, 3), key=lambda r: (r.received_at, r.key))
    incidents: dict[str, list[ReportV1]] = {}
    attached = 0
    for report in stream:
        views = [IncidentView(i, rs) for i, rs in incidents.items()]
        decision, expected = decide(report, views, CFG, AREAS), _ref_decide(report, views, CFG, AREAS)
        assert _decided(decision, expected), report.key
        attached += decision.incident_id is not None
        incidents.setdefault(decision.incident_id or f"I{len(incidents) + 1:04d}", []).append(report)
    assert 0 < attached < len(stream)


def test_caches_are_bounded() -> None:
    for cached in (textsim._segment, textsim._cut_block, matching._profile_of, matching._drop, matching._relation):
        assert cached.cache_info().maxsize is not None

