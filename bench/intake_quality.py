"""Same-event matching quality on the labelled corpus (issue 3, item 7).

    python bench/intake_quality.py [--corpus tests/data/intake_corpus.jsonl] [--markdown]

Replays the corpus in received order as intake would (greedy, incremental: each report is compared with
the incidents open so far and attached or opens a new one), then compares with the labels: pairwise
same-event precision / recall / F1, and primary accuracy (for every real event, the incident holding
its first-received report chose exactly that report as primary). Labels are read only for scoring.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable
from datetime import datetime, timedelta
from itertools import combinations
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from services.intake.domain.areas import AreaTable  # noqa: E402
from services.intake.domain.matching import IncidentView, MatchConfig, choose_primary, decide, score  # noqa: E402
from services.intake.domain.normalise import parse_report  # noqa: E402
from shared.contracts import ReportV1  # noqa: E402

DEFAULT_CORPUS = Path(__file__).resolve().parents[1] / "tests/data/intake_corpus.jsonl"
OPEN_FOR = timedelta(days=3)  # incidents compared with a new report: touched within this span


def load_corpus(path: Path, areas: AreaTable) -> list[tuple[ReportV1, str, bool]]:
    rows: list[tuple[ReportV1, str, bool]] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        raw = json.loads(line)
        event, primary = raw.pop("_event"), raw.pop("_primary")
        received = datetime.fromisoformat(raw["received_at"])
        report = parse_report(raw, received_at=received, now=received, areas=areas, max_bytes=1 << 20)
        rows.append((report, event, primary))
    rows.sort(key=lambda row: (row[0].received_at, row[0].key))
    return rows


def cluster(reports: Iterable[ReportV1], cfg: MatchConfig, areas: AreaTable) -> dict[tuple[str, str], str]:
    """Greedy incremental clustering; returns report key → incident id."""
    incidents: dict[str, list[ReportV1]] = {}
    assigned: dict[tuple[str, str], str] = {}
    for report in reports:
        assert report.received_at is not None
        now = report.received_at
        open_ones = [IncidentView(i, rs) for i, rs in incidents.items()
                     if any(r.received_at and now - r.received_at <= OPEN_FOR for r in rs)]
        decision = decide(report, open_ones, cfg, areas)
        incident_id = decision.incident_id or f"I{len(incidents) + 1:04d}"
        incidents.setdefault(incident_id, []).append(report)
        assigned[report.key] = incident_id
    return assigned


def evaluate(rows: list[tuple[ReportV1, str, bool]], cfg: MatchConfig, areas: AreaTable) -> dict[str, float]:
    assigned = cluster((r for r, _, _ in rows), cfg, areas)
    tp = fp = fn = 0
    for (ra, ea, _), (rb, eb, _) in combinations(rows, 2):
        same_pred, same_true = assigned[ra.key] == assigned[rb.key], ea == eb
        tp += same_pred and same_true
        fp += same_pred and not same_true
        fn += same_true and not same_pred
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    members: dict[str, list[ReportV1]] = {}
    for report, _, _ in rows:
        members.setdefault(assigned[report.key], []).append(report)
    true_primaries = [r for r, _, is_primary in rows if is_primary]
    correct = sum(choose_primary(members[assigned[p.key]]).key == p.key for p in true_primaries)
    # Margins, to judge how far the corpus result would survive other wording: the weakest best link of a
    # report to an earlier report of its own event, and the strongest score between different events.
    weakest_link, strongest_cross = 1.0, 0.0
    for i, (report, event, _) in enumerate(rows):
        same = [score(report, other, areas, cfg).score for other, e, _ in rows[:i] if e == event]
        if same and not report.follow_up_of:
            weakest_link = min(weakest_link, max(same))
        cross = [score(report, other, areas, cfg).score for other, e, _ in rows[:i] if e != event]
        strongest_cross = max([strongest_cross, *cross])
    return {
        "weakest_same_event_link": round(weakest_link, 3), "strongest_cross_event_score": round(strongest_cross, 3),
        "reports": len(rows), "events": len({e for _, e, _ in rows}), "incidents": len(members),
        "precision": precision, "recall": recall, "f1": f1, "primary_accuracy": correct / len(true_primaries),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--markdown", action="store_true", help="print a Markdown table")
    args = parser.parse_args()
    areas = AreaTable.load("450100")
    cfg = MatchConfig()
    result = evaluate(load_corpus(args.corpus, areas), cfg, areas)
    if args.markdown:
        print("| corpus | reports | events | incidents formed | precision | recall | F1 | primary accuracy |")
        print("|---|---|---|---|---|---|---|---|")
        print(f"| {args.corpus.name} | {result['reports']} | {result['events']} | {result['incidents']} | "
              f"{result['precision']:.3f} | {result['recall']:.3f} | {result['f1']:.3f} | {result['primary_accuracy']:.1%} |")
        print(f"\nDefaults: threshold {cfg.threshold}, time window {cfg.time_window}, "
              f"weights area/time/category/place/text = {cfg.weight_area}/{cfg.weight_time}/"
              f"{cfg.weight_category}/{cfg.weight_place}/{cfg.weight_text}. Weakest same-event link "
              f"{result['weakest_same_event_link']}, strongest cross-event score {result['strongest_cross_event_score']}.")
    else:
        print(json.dumps(result, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
