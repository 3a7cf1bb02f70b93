"""The labelled corpus: big enough, labels consistent, every line a valid contract-v1 report, reproducible."""

from __future__ import annotations

import importlib.util
import json
import sys
from collections import defaultdict
from datetime import datetime
from pathlib import Path

from services.intake.domain.areas import AreaTable
from services.intake.domain.normalise import parse_report

DATA = Path(__file__).resolve().parents[2] / "data"


def test_corpus_size_labels_and_contract() -> None:
    lines = (DATA / "intake_corpus.jsonl").read_text(encoding="utf-8").splitlines()
    areas = AreaTable.load("450100")
    by_event: dict[str, list[tuple[datetime, str, str, bool]]] = defaultdict(list)
    for line in lines:
        raw = json.loads(line)
        event, primary = raw.pop("_event"), raw.pop("_primary")
        received = datetime.fromisoformat(raw["received_at"])
        report = parse_report(raw, received_at=received, now=received, areas=areas, max_bytes=1 << 16)
        assert report.area_code is None or report.area_code.startswith("4501")
        by_event[event].append((received, report.source.system, report.source.report_id, primary))
    assert len(lines) >= 120 and len(by_event) >= 40
    assert sum(len(v) >= 2 for v in by_event.values()) == len(by_event)  # every event has several reports
    for event, rows in by_event.items():
        assert [r[3] for r in sorted(rows)] == [True] + [False] * (len(rows) - 1), event


def test_corpus_is_what_the_generator_writes() -> None:
    spec = importlib.util.spec_from_file_location("make_corpus", DATA / "make_corpus.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["make_corpus"] = module  # its dataclasses look their module up while being defined
    try:
        spec.loader.exec_module(module)
    finally:
        del sys.modules["make_corpus"]
    regenerated = [json.dumps(r, ensure_ascii=False) for r in module.make_reports()]
    assert regenerated == (DATA / "intake_corpus.jsonl").read_text(encoding="utf-8").splitlines()
