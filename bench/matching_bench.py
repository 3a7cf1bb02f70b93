"""Same-event matching cost per report (``decide``), without broker or store.

    PYTHONPATH=. python -m bench.matching_bench [--n 1000] [--all] [--corpus]

Parses the broker bench's reports as intake does, then places them one by one as intake would: the
candidates are the incidents whose event span reaches within the matching window of the report's time
(``--all``: every incident so far, the worst case), and the report joins the decided incident or opens a
new one. Only the ``decide`` calls are timed (CPU time of this process: the machine may be shared). ``--corpus`` replays the labelled corpus instead
(tests/data/intake_corpus.jsonl, realistic Chinese texts, every incident open within three days).
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from datetime import UTC, datetime, timedelta

from bench.broker_bench import reports
from bench.intake_quality import DEFAULT_CORPUS, OPEN_FOR, load_corpus
from services.intake.domain import matching, textsim
from services.intake.domain.areas import AreaTable
from services.intake.domain.matching import IncidentView, MatchConfig, MatchDecision, decide
from services.intake.domain.normalise import parse_report
from shared.contracts import ReportV1


def _place(parsed: list[ReportV1], cfg: MatchConfig, areas: AreaTable, *, everything: bool,
           open_for: timedelta | None = None) -> tuple[float, list[MatchDecision]]:
    window = max(cfg.time_window, cfg.received_fallback_window)
    incidents: dict[str, tuple[list[ReportV1], list[datetime]]] = {}
    decisions: list[MatchDecision] = []
    spent = 0.0
    for report in parsed:
        when = report.occurred_at or report.received_at
        assert when is not None and report.received_at is not None
        now = report.received_at
        views = [IncidentView(i, rs) for i, (rs, span) in incidents.items()
                 if (everything or (span[0] <= when + window and span[1] >= when - window))
                 and (open_for is None or any(r.received_at and now - r.received_at <= open_for for r in rs))]
        start = time.process_time()
        decision = decide(report, views, cfg, areas)
        spent += time.process_time() - start
        decisions.append(decision)
        incident_id = decision.incident_id or f"I{len(incidents) + 1:05d}"
        rs, span = incidents.setdefault(incident_id, ([], [when, when]))
        rs.append(report)
        span[0], span[1] = min(span[0], when), max(span[1], when)
    return spent, decisions


def _clear_caches() -> None:
    for module in (matching, textsim):
        for value in vars(module).values():
            if hasattr(value, "cache_clear"):
                value.cache_clear()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--all", action="store_true", help="every incident so far is a candidate")
    parser.add_argument("--corpus", action="store_true", help="replay the labelled corpus instead")
    parser.add_argument("--repeat", type=int, default=3, help="best of this many runs")
    args = parser.parse_args()
    cfg = MatchConfig()
    if args.corpus:
        areas = AreaTable.load("450100")
        parsed = [r for r, _, _ in load_corpus(DEFAULT_CORPUS, areas)]
    else:
        areas = AreaTable.load("450100")
        now = datetime(2026, 12, 1, tzinfo=UTC)
        parsed = [parse_report(body, received_at=now, now=now, areas=areas, max_bytes=1 << 20)
                  for body in reports(args.n, "x")]
    textsim.warm_up()
    runs = []
    for _ in range(args.repeat):
        _clear_caches()  # every run starts as a fresh process would (jieba's dictionary aside)
        spent, decisions = _place(parsed, cfg, areas, everything=args.all or args.corpus,
                                  open_for=OPEN_FOR if args.corpus else None)
        runs.append(spent)
    opened = sum(d.incident_id is None for d in decisions)
    print(json.dumps({"reports": len(parsed), "incidents": opened, "mode": "corpus" if args.corpus else
                      ("all" if args.all else "window"), "ms_per_report_median": round(statistics.median(runs) / len(parsed) * 1e3, 3),
                      "ms_per_report_min": round(min(runs) / len(parsed) * 1e3, 3)}))


if __name__ == "__main__":
    main()
