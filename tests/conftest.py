from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_DIR = Path(os.environ.get("ZHIBAN_SHARED_DIR", REPO_ROOT.parent / "shared"))


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """The read-only handbook folder (../shared). Tests that read its data skip, with this reason, without it."""
    if not (SHARED_DIR / "data").is_dir():
        pytest.skip(f"../shared/data not found at {SHARED_DIR} (set ZHIBAN_SHARED_DIR)")
    return SHARED_DIR
