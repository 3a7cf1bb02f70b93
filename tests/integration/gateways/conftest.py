from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from .harness import Daemons


@pytest.fixture
def daemons() -> Iterator[Daemons]:
    run_dir = Path(tempfile.mkdtemp(prefix="zhiban-gw-"))
    run_dir.chmod(0o755)
    started = Daemons(run_dir=run_dir)
    try:
        yield started
    finally:
        started.stop_all()
        shutil.rmtree(run_dir, ignore_errors=True)
