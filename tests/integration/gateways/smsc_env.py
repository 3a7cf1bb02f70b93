"""Runs the npm `smpp` SMSC simulator (smsc/smsc.js) on a free loopback port."""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path

from .harness import Daemons, free_port, require, wait_for_port

SMSC_DIR = Path(__file__).parent / "smsc"
SYSTEM_ID = "notify"
PASSWORD = "spass"


@dataclass
class SmscRun:
    port: int
    log_path: Path

    def events(self, kind: str | None = None) -> list[dict]:  # type: ignore[type-arg]
        if not self.log_path.exists():
            return []
        rows = [json.loads(line) for line in self.log_path.read_text(encoding="utf-8").splitlines() if line]
        return [r for r in rows if kind is None or r["event"] == kind]


def require_smsc_simulator() -> None:
    require("node")
    if not (SMSC_DIR / "node_modules" / "smpp").is_dir():
        require(str(SMSC_DIR / "node_modules" / "smpp" / "package.json"))


def start_smsc(daemons: Daemons, *, system_id: str = SYSTEM_ID, password: str = PASSWORD,
               port: int | None = None) -> SmscRun:
    run = SmscRun(port=port or free_port(), log_path=daemons.run_dir / f"smsc-{len(daemons.procs)}.jsonl")
    node = shutil.which("node") or "node"
    proc = daemons.start([node, str(SMSC_DIR / "smsc.js"), str(run.port), system_id, password, str(run.log_path)],
                         log_name="smsc.out", cwd=SMSC_DIR)
    wait_for_port(run.port, proc=proc)
    return run
