"""`make bench`: every benchmark in one run; the figures and the exact command go to docs/benchmarks.md."""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import platform
import subprocess
import sys
from pathlib import Path

from bench.broker_bench import intake_consume, publish_to_notify_latency, raw_consume

ROOT = Path(__file__).resolve().parents[1]
SUBBENCHES = [
    ("Intake same-event matching quality", [sys.executable, "-m", "bench.intake_quality", "--markdown"]),
    ("Roster generation", [sys.executable, "-m", "bench.roster_bench"]),
    ("SMS through Kannel (real bearerbox + smsbox + fakesmsc)", [sys.executable, "-m", "bench.sms_bench"]),
]


def run_sub(command: list[str]) -> str:
    try:
        done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=600)
    except subprocess.TimeoutExpired:
        return "_timed out after 600 s_"
    if done.returncode != 0:
        return f"_not measured: exit {done.returncode}_\n\n```\n{(done.stderr or done.stdout)[-1500:]}\n```"
    return done.stdout.strip()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "benchmarks.md")
    parser.add_argument("--messages", type=int, default=1000)
    parser.add_argument("--rate", type=float, default=5.0)
    parser.add_argument("--seconds", type=float, default=20.0)
    args = parser.parse_args()
    amqp_url = os.environ.get("AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/")

    raw = asyncio.run(raw_consume(amqp_url, args.messages))
    intake = asyncio.run(intake_consume(amqp_url, args.messages))
    latency = asyncio.run(publish_to_notify_latency(amqp_url, rate=args.rate, seconds=args.seconds))
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
        f"| (a) raw aio-pika consume + contract validation, {args.messages} reports | {raw:,.0f} msg/s |",
        f"| (b) intake service (validate, dedup, store, outbox), {args.messages} reports | {intake:,.0f} msg/s |",
        f"| intake / raw ratio (target ≥ 0.5) | {intake / raw:.2f} |",
        f"| (c) publish → notify.send latency at {latency['offered_rate']:.0f} reports/s for {args.seconds:.0f} s "
        f"({latency['answered']}/{latency['reports']} answered) | p50 {latency['p50_ms']:.0f} ms, "
        f"p99 {latency['p99_ms']:.0f} ms |",
        "",
        "(c) runs intake, escalation and scheduling in one process on the real broker (grading, the on-duty "
        "request/reply to scheduling, two outbox hops); the outbox relay wakes on every write.",
        "",
    ]
    for title, sub in SUBBENCHES:
        lines += [f"## {title}", "", f"Command: `{' '.join(['.venv/bin/python'] + sub[1:])}`", "", run_sub(sub), ""]
    args.out.write_text("\n".join(lines), encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
