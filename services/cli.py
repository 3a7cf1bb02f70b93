"""The ``zhiban`` command: run the embedded system, serve one service, issue tokens."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Annotated

import typer
import uvicorn

from services import demo
from shared.auth import Role, UserRegistry
from shared.logging import configure_logging

app = typer.Typer(help="Zhiban 值班 — 市政府值班室信息系统", no_args_is_help=True)

SAMPLE_REPORT = {
    "schema": "zhiban.report/1",
    "source": {"system": "wuming-yjj", "unit": "武鸣区应急管理局", "report_id": "WM-2026-0001"},
    "channel": "network",
    "occurred_at": "2026-11-28T09:40:00+08:00",
    "area_code": "450110",
    "place": "武鸣区城厢镇某化工厂",
    "category": "production_safety",
    "title": "武鸣区某化工厂发生爆炸事故造成3人死亡",
    "text": "9时40分许，武鸣区城厢镇某化工厂车间发生爆炸，已造成3人死亡、5人受伤，现场明火已扑灭。",
    "casualties": {"deaths": 3, "injuries": 5, "serious_injuries": 1, "missing": 0, "trapped": 0},
    "measures": "区应急管理局、消防救援大队已到场处置，伤员送医救治。",
    "contact": {"name": "黄志强", "phone": "0771-6221234"},
    "classification": "plain",
}


@app.command()
def run(
    host: Annotated[str, typer.Option(help="only loopback by default")] = "127.0.0.1",
    port: int = 8000,
    spool_dir: Path = Path("var/spool"),
) -> None:
    """Embedded mode: all four services in one process, in-process bus and store stand-in, demo city."""
    from services.app import embedded

    configure_logging(json=False)
    users, tokens = demo.demo_users()
    web, _ = embedded(users=users, overrides={"spool_dir": spool_dir}, freeze_heap=True)
    base = f"http://{host}:{port}"
    body = json.dumps(SAMPLE_REPORT, ensure_ascii=False)
    print(
        f"\n  Zhiban 值班 — embedded mode (in-process bus; in-process MongoDB STAND-IN, data is not kept)\n"
        f"  Web console:     {base}/console/  (sign in with a token below)\n"
        f"  API docs:        {base}/docs\n"
        f"  Demo tokens (valid for this run only):\n"
        + "".join(f"    {role:<18} {token}\n" for role, token in tokens.items())
        + f"\n  Try — a county system reports an accident:\n"
        f"    curl -s -X POST {base}/api/v1/reports -H 'Authorization: Bearer {tokens['unit_system']}' \\\n"
        f"         -H 'Content-Type: application/json' -d '{body}'\n"
        f"  List incidents:   curl -s {base}/api/v1/incidents -H 'Authorization: Bearer {tokens['duty_officer']}'\n"
        f"  Level & timeline: curl -s {base}/api/v1/escalation/incidents/<id> -H 'Authorization: Bearer "
        f"{tokens['duty_officer']}'\n"
        f"  A 较大 (III) incident reaches leaders after the duty head approves it (R-05) — with the incident's\n"
        f"  current revision from the view above:\n"
        f"    curl -s -X POST {base}/api/v1/escalation/incidents/<id>/review:approve -H 'Authorization: Bearer "
        f"{tokens['duty_head']}' -H 'Content-Type: application/json' -d '{{\"shown_revision\": <revision>}}'\n"
        f"  Notifications:    curl -s {base}/api/v1/notifications -H 'Authorization: Bearer {tokens['duty_officer']}'\n"
        f"  Spooled messages: {spool_dir.resolve()}\n",
        flush=True,
    )
    uvicorn.run(web, host=host, port=port, log_level="warning")


@app.command()
def serve(
    service: Annotated[str, typer.Argument(help="intake | escalation | notify | scheduling")],
    host: str = "127.0.0.1",
    port: Annotated[int | None, typer.Option(help="default: the service's own port")] = None,
    seed_demo: Annotated[bool, typer.Option(help="seed the demo city (memory store)")] = False,
) -> None:
    """One service as its own process on the real RabbitMQ (AMQP_URL)."""
    from services.app import SERVICES, service_app

    if service not in SERVICES:
        raise typer.BadParameter(f"unknown service {service!r}; one of {', '.join(SERVICES)}")
    configure_logging(json=True)
    settings = SERVICES[service][0]()
    web = service_app(service, seed_demo=seed_demo, freeze_heap=True)
    uvicorn.run(web, host=host, port=port or settings.http_port, log_level="warning")


@app.command("issue-token")
def issue_token(
    users_file: Annotated[Path, typer.Option(envvar="ZHIBAN_USERS_FILE")],
    id: Annotated[str, typer.Option()],
    name: Annotated[str, typer.Option()],
    role: Annotated[list[Role], typer.Option(help="repeatable")],
    system: Annotated[str | None, typer.Option(help="for unit systems: their source.system")] = None,
) -> None:
    """Issue a bearer token (printed once; only its hash is stored)."""
    registry = UserRegistry.load(users_file)
    token = registry.issue(id=id, name=name, roles=list(role), system=system)
    registry.save(users_file)
    print(token)


@app.command()
def replay(file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="JSON Lines, one zhiban.report/1 a line")]) -> None:
    """Feed a file of reports through the whole pipeline (embedded; clock = each received_at); print the incidents."""
    import asyncio
    import logging
    import sys

    from services.intake.replay import replay as run_replay

    configure_logging(json=True, level=logging.ERROR)
    raise typer.Exit(asyncio.run(run_replay(file, out=sys.stdout, err=sys.stderr)))


def main() -> None:  # pragma: no cover - console entry
    os.environ.setdefault("PYTHONUTF8", "1")
    app()


if __name__ == "__main__":  # pragma: no cover
    app()
