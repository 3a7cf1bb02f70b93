from __future__ import annotations

from pathlib import Path

import pytest

from services.escalation.domain.rules import Rules, load_rules

DEFAULT_RULES = Path(__file__).resolve().parents[3] / "services" / "escalation" / "rules" / "default.yaml"


@pytest.fixture(scope="session")
def rules_text() -> str:
    return DEFAULT_RULES.read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def rules(rules_text: str) -> Rules:
    return load_rules(rules_text)
