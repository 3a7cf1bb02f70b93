"""`make bench`: every benchmark in one run; the figures and the exact command go to docs/benchmarks.md."""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import platform
import statistics
import subprocess
import sys
from pathlib import Path

from bench.broker_bench import Measured, intake_measured, latency_table, raw_measured

ROOT = Path(__file__).resolve().parents[1]
SUBBENCHES = [
    ("Intake same-event matching quality", [sys.executable, "-m", "bench.intake_quality", "--markdown"]),
    ("Roster generation", [sys.executable, "-m", "bench.roster_bench"]),
    ("SMS through Kannel (real bearerbox + smsbox + fakesmsc)", [sys.executable, "-m", "bench.sms_bench"]),
]


LATENCY_NOTE = (
    "(c) runs intake, escalation and scheduling in one process on the real broker (grading, the on-duty "
    "request/reply to scheduling, two outbox hops, and the ~37 durable timers each incident plans, each one a "
    "message to a broker wait queue); every report is its own event. The curve alone: "
    "`.venv/bin/python -m bench.broker_bench --rates 1,5,10,20 --seconds 20`."
)


def run_sub(command: list[str]) -> str:
    try:
        done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=600)
    except subprocess.TimeoutExpired:
        return "_timed out after 600 s_"
    if done.returncode != 0:
        return f"_not measured: exit {done.returncode}_\n\n```\n{(done.stderr or done.stdout)[-1500:]}\n```"
    return done.stdout.strip()


INTAKE_NOTE = (
    "(a) and (b) run one after the other in the same run, on the same 1000-report set (5 districts of one city, "
    "three in four reports join an incident already open), each timed from its first message done to its last "
    "(start-up excluded in both); (b) also waits until intake's outbox has published every incident event. "
    "CPU per message is this process's CPU time (user + system) over the same span divided by the messages: "
    "it moves less than the rates with what else the machine runs. Where (b)'s time goes: "
    "docs/benchmarks-intake.md."
)


def intake_rows(messages: int, raws: list[Measured], intakes: list[Measured]) -> list[str]:
    median = f", median of {len(raws)}" if len(raws) > 1 else ""
    raw, intake = statistics.median(m.rate for m in raws), statistics.median(m.rate for m in intakes)
    raw_cpu, intake_cpu = statistics.median(m.cpu_ms for m in raws), statistics.median(m.cpu_ms for m in intakes)
    return [
        f"| (a) raw aio-pika consume + contract validation, {messages} reports{median} | {raw:,.0f} msg/s "
        f"({raw_cpu:.3f} ms CPU per message) |",
        f"| (b) intake service (validate, dedup, match, place, store, outbox published), {messages} reports{median} "
        f"| {intake:,.0f} msg/s ({intake_cpu:.3f} ms CPU per report) |",
        f"| intake / raw ratio (target ≥ 0.5) | {intake / raw:.2f} (by CPU per message: {raw_cpu / intake_cpu:.2f}) |",
    ]


def replace_intake_rows(out: Path, rows: list[str], messages: int) -> None:
    """``--intake-only``: put the new (a), (b) and ratio rows in place of the old ones, say when and how."""
    lines = out.read_text(encoding="utf-8").split("\n")
    starts = ("| (a) ", "| (b) ", "| intake / raw ratio")
    at = [i for i, line in enumerate(lines) if line.startswith(starts)]
    if len(at) != 3 or at != list(range(at[0], at[0] + 3)):
        raise SystemExit(f"{out}: the (a), (b) and ratio rows were not found together; run the full bench")
    lines[at[0]:at[0] + 3] = rows
    when = f"{dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC"
    note = (f"(a), (b) and the ratio re-measured on {when} by `.venv/bin/python -m bench.run --intake-only"
            f"{'' if messages == 1000 else f' --messages {messages}'}`. " + INTAKE_NOTE)
    notes = [i for i, line in enumerate(lines) if line.startswith(("(a) and (b) run", "(a), (b) and the ratio"))]
    if notes:
        lines[notes[0]] = note
    else:
        end = next(i for i in range(at[0], len(lines)) if not lines[i].startswith("|"))
        lines[end:end] = ["", note]
    out.write_text("\n".join(lines), encoding="utf-8")
    print("\n".join(rows + ["", note]))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "benchmarks.md")
    parser.add_argument("--messages", type=int, default=1000)
    parser.add_argument("--rates", default="1,5,10,20", help="offered reports/s of the latency curve (c)")
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--rounds", type=int, default=3, help="(a) and (b) measured this many times, alternated; medians")
    parser.add_argument("--intake-only", action="store_true",
                        help="measure only (a) and (b) and replace their rows in --out, keeping the rest")
    args = parser.parse_args()
    amqp_url = os.environ.get("AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/")

    raws: list[Measured] = []
    intakes: list[Measured] = []
    for _ in range(args.rounds):  # alternated, so a busy moment on a shared machine hits both
        raws.append(asyncio.run(raw_measured(amqp_url, args.messages)))
        intakes.append(asyncio.run(intake_measured(amqp_url, args.messages)))
    print(f"raw {[(round(m.rate), round(m.cpu_ms, 3)) for m in raws]} (msg/s, ms CPU), "
          f"intake {[(round(m.rate), round(m.cpu_ms, 3)) for m in intakes]}", file=sys.stderr)
    rows = intake_rows(args.messages, raws, intakes)
    if args.intake_only:
        replace_intake_rows(args.out, rows, args.messages)
        return
    latency = latency_table(amqp_url, [float(x) for x in args.rates.split(",")], args.seconds)
    command = " ".join(["make bench"] + ([] if args.messages == 1000 else [f"(--messages {args.messages})"]))
    lines = [
        "# Benchmarks",
        "",
        f"Produced by `{command}` (= `.venv/bin/python -m bench.run --out docs/benchmarks.md`) on "
        f"{dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC, {platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, RabbitMQ at {amqp_url.rsplit('@', 1)[-1]}. "
        "The store is the in-process MongoDB stand-in (mongomock-motor); a real MongoDB changes the intake figures.",
        "",
        "## Bus and intake (real RabbitMQ, quorum queues, publisher confirms)",
        "",
        "| measure | value |",
        "|---|---|",
        *rows,
        *latency,
        "",
        INTAKE_NOTE,
        "",
        LATENCY_NOTE,
        "",
    ]
    for title, sub in SUBBENCHES:
        lines += [f"## {title}", "", f"Command: `{' '.join(['.venv/bin/python'] + sub[1:])}`", "", run_sub(sub), ""]
    args.out.write_text("\n".join(lines), encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
