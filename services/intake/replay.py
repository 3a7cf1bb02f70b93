"""``zhiban replay FILE.jsonl``: a drill (演练) or a replay — every report through the whole pipeline in
embedded mode, the clock set to each report's received_at, the resulting incidents printed as JSON."""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from pathlib import Path
from typing import Any, TextIO

from services import demo
from services.app import embedded
from services.intake.domain.areas import AreaTable
from services.intake.domain.errors import ReportRejected
from services.intake.domain.normalise import parse_report
from shared.clock import ManualClock, as_utc
from shared.runtime import Runtime
from shared.settings import IntakeSettings
from shared.topology import EVENTS, report_routing_key


def read_lines(path: Path, err: TextIO, areas: AreaTable, max_bytes: int) -> list[tuple[datetime, bytes, str]]:
    """(received_at, raw line, routing key) of every usable line; bad lines reported with their number."""
    out: list[tuple[datetime, bytes, str]] = []
    for number, line in enumerate(path.read_bytes().splitlines(), start=1):
        if not line.strip():
            continue
        try:
            raw = json.loads(line.decode("utf-8"))
            when = datetime.fromisoformat(raw["received_at"]) if isinstance(raw, dict) and raw.get("received_at") \
                else None
            if when is None or when.tzinfo is None:
                raise ReportRejected("missing_field", "received_at", "重放需要带时区的接报时间 received_at")
            report = parse_report(line, received_at=when, now=when, areas=areas, max_bytes=max_bytes)
        except ReportRejected as exc:
            print(f"第{number}行：已跳过（{exc.code}，{exc.field or '整行'}）：{exc.message_zh}", file=err)
            continue
        except (UnicodeDecodeError, ValueError, TypeError) as exc:
            print(f"第{number}行：已跳过（不是合法的报告JSON：{str(exc)[:120]}）", file=err)
            continue
        out.append((as_utc(when), line, report_routing_key(report.area_code, report.source.system)))
    return out


async def drain(runtime: Runtime) -> None:
    """Publish every service's outbox until nothing is left (events cascade: intake → escalation → notify)."""
    for _ in range(50):
        outboxes = [c.state["outbox"] for c in runtime.components if "outbox" in c.state]
        for outbox in outboxes:
            await outbox.flush()
        if all([await o.pending_count() == 0 for o in outboxes]):
            return


async def incidents(runtime: Runtime) -> list[dict[str, Any]]:
    parts = {c.name: c for c in runtime.components}
    intake = parts["intake"].state["store"]
    escalation = parts["escalation"].state["service"].store if "escalation" in parts else None
    _, docs = await intake.list_incidents({"status": "open"}, skip=0, limit=100_000)
    out = []
    for doc in sorted(docs, key=lambda d: (d["opened_at"], d["_id"])):
        view = (await escalation.get(doc["_id"]) if escalation else None) or {}
        reports = sorted(await intake.reports_of(doc["_id"]), key=lambda r: (r["received_at"], r["_id"]))
        out.append({
            "incident_id": doc["_id"],
            "level": view.get("level"),
            "sensitive": bool(view.get("sensitive", False)),
            "sensitive_reasons": list(view.get("sensitive_reasons") or []),
            "missing_elements": doc.get("missing_elements", []),
            "reports": [{"system": r["system"], "report_id": r["report_id"], "primary": bool(r["primary"]),
                         "received_at": as_utc(r["received_at"]).isoformat().replace("+00:00", "Z")}
                        for r in reports],
        })
    return out


async def replay(path: Path, *, out: TextIO, err: TextIO) -> int:
    settings = IntakeSettings()
    areas = AreaTable.load(settings.region)
    lines = read_lines(path, err, areas, settings.max_message_bytes)
    clock = ManualClock(lines[0][0] if lines else datetime.now().astimezone())
    users, _ = demo.demo_users()
    _, runtime = embedded(users=users, clock=clock, overrides={"store_url": f"memory://replay-{uuid.uuid4().hex}",
                                                               "outbox_poll_seconds": 3600.0})
    await runtime.start()
    try:
        for when, raw, routing_key in lines:
            clock.set(when)
            await runtime.broker.publish(raw, exchange=EVENTS, routing_key=routing_key)
            await drain(runtime)
        result = await incidents(runtime)
    finally:
        await runtime.stop()
    json.dump(result, out, ensure_ascii=False, indent=1)
    out.write("\n")
    return 0
