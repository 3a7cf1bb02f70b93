"""``zhiban replay FILE.jsonl`` through the whole embedded pipeline: one incident per event, the earliest
received primary even when it comes later in the file, levels from escalation, bad lines skipped."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.helpers import sample_report
from tests.service.test_intake import ENV_REPORT

ROOT = Path(__file__).resolve().parents[2]


def test_replay_prints_incidents_and_skips_bad_lines(tmp_path: Path) -> None:
    lines = [
        json.dumps(sample_report(report_id="R-1", received_at="2026-11-28T09:55:00+08:00"), ensure_ascii=False),
        json.dumps(sample_report(system="nn-traffic", unit="南宁市交警支队", report_id="R-2", category="road_traffic",
                                 area_code="450126", place="宾阳县黎塘镇G72高速", title="宾阳县G72高速追尾",
                                 text="两车追尾，1人受伤。", received_at="2026-11-28T11:00:00+08:00",
                                 occurred_at="2026-11-28T10:50:00+08:00",
                                 casualties={"deaths": 0, "injuries": 1, "missing": 0, "trapped": 0}),
                   ensure_ascii=False),
        "{这不是JSON",
        json.dumps(sample_report(report_id="R-X", area_code="999999", received_at="2026-11-28T11:05:00+08:00")),
        # the environment bureau's report of the first event: later in the file, received earlier
        json.dumps(sample_report(**ENV_REPORT, received_at="2026-11-28T09:50:00+08:00",
                                 casualties={"deaths": 11, "injuries": 9, "missing": 0, "trapped": 0}),
                   ensure_ascii=False),
    ]
    path = tmp_path / "drill.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "services.cli", "replay", str(path)], cwd=ROOT, capture_output=True,
                          text=True, timeout=120, env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
    assert done.returncode == 0, done.stderr
    assert "第3行" in done.stderr and "第4行" in done.stderr and "unknown_area" in done.stderr
    incidents = json.loads(done.stdout)
    assert len(incidents) == 2
    explosion = next(i for i in incidents if len(i["reports"]) == 2)
    assert [(r["report_id"], r["primary"]) for r in explosion["reports"]] == [("HB-77", True), ("R-1", False)]
    assert explosion["reports"][0]["received_at"] == "2026-11-28T01:50:00Z"
    assert explosion["level"] == "II"  # 11 deaths: 重大 — the follow-up's figure reached escalation
    assert isinstance(explosion["sensitive"], bool) and isinstance(explosion["sensitive_reasons"], list)
    traffic = next(i for i in incidents if len(i["reports"]) == 1)
    assert traffic["level"] == "IV" and traffic["reports"][0]["primary"] is True
    assert isinstance(traffic["missing_elements"], list)
