"""Where intake's time goes in benchmark (b): the same run as ``bench.broker_bench.intake_measured``, under
cProfile from the first report placed to the outbox drained, summed by part of the pipeline.

    .venv/bin/python -m bench.intake_profile [--messages 1000]

cProfile slows everything down by about as much again, so the shares are what to read, not the rate.
The parts overlap: "placement" contains "matching" and most of the store's calls, the relay the rest, the
pump "normalisation"; a part's share is the cumulative time of its entry points, so the shares do not add
up to 100 % (the rest: the event loop, aiormq reading frames, pydantic)."""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import os
import pstats

import bench.broker_bench as bb

# (part, file fragment, function): the entry points whose cumulative time is the part's
PARTS = [
    ("placement (under the claim)", "services/intake/service.py", "_placer"),
    ("  matching (domain.matching.decide)", "intake/domain/matching.py", "decide"),
    ("store, every call (the stand-in: mongomock)", "mongomock_motor/__init__.py", "wrapper"),
    ("publishing events (Bus.publish_json, through FastStream)", "shared/bus.py", "publish_json"),
    ("outbox relay, its store reads and deletes", "shared/outbox.py", "flush"),
    ("report pump (consume, normalise, settle)", "services/intake/report_pump.py", "_work"),
    ("  normalisation (domain.normalise)", "services/intake/service.py", "normalise"),
]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=1000)
    args = parser.parse_args()
    profile = cProfile.Profile()
    cpu_seconds = bb.cpu_seconds
    calls = 0

    def profiled_cpu() -> float:  # intake_measured reads the CPU clock at the first report and at the end
        nonlocal calls
        calls += 1
        (profile.enable if calls == 1 else profile.disable)()
        return cpu_seconds()

    bb.cpu_seconds = profiled_cpu
    measured = asyncio.run(bb.intake_measured(os.environ.get("AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/"),
                                              args.messages))
    stats = pstats.Stats(profile).stats  # type: ignore[attr-defined]
    total = max(ct for (_, _, name), (_, _, _, ct, _) in stats.items() if name == "_run_once")
    print(f"{args.messages} reports, {measured.rate:,.0f} reports/s under the profiler; "
          f"event loop total {total:.3f} s")
    print("| part | share of intake's time |")
    print("|---|---|")
    for label, where, function in PARTS:
        part = sum(ct for (path, _, name), (_, _, _, ct, _) in stats.items() if where in path and name == function)
        print(f"| {label} | {100 * part / total:.0f} % |")


if __name__ == "__main__":
    main()
