"""The console's name table (static/catalogue.json) says what the services say: a category, level, review state,
role or report channel added or renamed in Python shows up here as a failure, not as an untranslated code on
screen."""

from __future__ import annotations

import json
from typing import Any, get_args

import pytest
from fastapi.routing import APIRoute

from services.console import STATIC_DIR
from services.escalation.domain.grading import LEVEL_NAMES
from services.escalation.domain.notice_text import CATEGORY_NAMES
from services.escalation.domain.review import STATE_NAMES
from services.intake.api_officer import OFFICER_CHANNELS
from shared.auth import ROLE_NAMES, Role
from shared.contracts import Category, Channel


@pytest.fixture(scope="module")
def catalogue() -> dict[str, Any]:
    return dict(json.loads((STATIC_DIR / "catalogue.json").read_text(encoding="utf-8")))


def test_every_category_of_the_contract_has_the_escalation_name(catalogue: dict[str, Any]) -> None:
    assert set(catalogue["categories"]) == {c.value for c in Category}
    assert catalogue["categories"] == CATEGORY_NAMES


def test_levels_review_states_and_roles_match_the_services(catalogue: dict[str, Any]) -> None:
    assert catalogue["levels"] == LEVEL_NAMES
    assert catalogue["review_states"] == STATE_NAMES
    assert catalogue["roles"] == {role.value: name for role, name in ROLE_NAMES.items()}
    assert set(catalogue["roles"]) == {r.value for r in Role}


def test_report_channels_and_the_entry_form_choices_match_the_contract_and_intake(catalogue: dict[str, Any]) -> None:
    assert set(catalogue["channels"]) == {c.value for c in Channel}
    # the entry form offers exactly the channels intake's officer route accepts, under the same names
    assert catalogue["entry_channels"] == OFFICER_CHANNELS
    assert all(catalogue["channels"][key] == name for key, name in OFFICER_CHANNELS.items())


def _literal_values(annotation: Any) -> set[str]:
    """Literal["a", "b"] or Literal["a", "b"] | None → {"a", "b"}."""
    return {value for arg in get_args(annotation) for value in (get_args(arg) or (arg,)) if isinstance(value, str)}


def test_list_filters_offer_exactly_what_the_incident_list_accepts(catalogue: dict[str, Any]) -> None:
    from services.intake.api_incidents import build_incident_api
    from services.intake.service import IntakeService

    router = build_incident_api(IntakeService.__new__(IntakeService))  # the routes only close over the service
    route = next(r for r in router.routes if isinstance(r, APIRoute) and r.path == "/incidents" and "GET" in r.methods)
    accepted = {p.name: _literal_values(p.field_info.annotation) for p in route.dependant.query_params}
    assert set(catalogue["statuses"]) == accepted["status"]
    assert set(catalogue["time_fields"]) == accepted["time_field"]
