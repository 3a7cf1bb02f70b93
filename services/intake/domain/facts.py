"""What an incident knows from all its reports (续报): the primary's facts, completed and raised by the others.

Pure. Casualty figures take the highest stated value (a follow-up reports more, not fewer, victims;
a lower figure is kept on its own report); blank elements of the primary are filled from later reports.
"""

from __future__ import annotations

from collections.abc import Sequence

from shared.contracts import ReportV1

from .matching import choose_primary

CASUALTY_ZH = {"deaths": "死亡", "injuries": "受伤", "serious_injuries": "重伤", "missing": "失踪", "trapped": "被困"}
_FILL = ("occurred_at", "area_code", "place", "measures", "evacuated", "economic_loss_cny")


def combined(reports: Sequence[ReportV1]) -> ReportV1:
    """The primary (earliest received) with every later fact folded in."""
    primary = choose_primary(reports)
    update: dict[str, object] = {}
    for name in _FILL:
        if getattr(primary, name) in (None, ""):
            value = next((getattr(r, name) for r in _by_received(reports) if getattr(r, name) not in (None, "")), None)
            if value is not None:
                update[name] = value
    if "category" not in primary.model_fields_set:
        stated = next((r for r in _by_received(reports) if "category" in r.model_fields_set), None)
        if stated is not None:
            update["category"] = stated.category
    casualties = primary.casualties.model_copy(update=highest_casualties(reports))
    update["casualties"] = casualties
    if not (primary.contact.name and primary.contact.phone):
        other = next((r.contact for r in _by_received(reports) if r.contact.name and r.contact.phone), None)
        if other is not None:
            update["contact"] = other
    merged = primary.model_copy(update=update)
    if "category" in update:
        merged.model_fields_set.add("category")
    return merged


def highest_casualties(reports: Sequence[ReportV1]) -> dict[str, int | None]:
    out: dict[str, int | None] = {}
    for key in CASUALTY_ZH:
        values = [v for r in reports if (v := getattr(r.casualties, key)) is not None]
        out[key] = max(values) if values else None
    return out


def changes(before: dict[str, int | None], after: dict[str, int | None]) -> list[str]:
    """Chinese list of raised figures: ["死亡 3→11人"]."""
    return [
        f"{CASUALTY_ZH[k]} {before.get(k) if before.get(k) is not None else '不详'}→{after[k]}人"
        for k in CASUALTY_ZH
        if after.get(k) is not None and after.get(k) != before.get(k)
    ]


def _by_received(reports: Sequence[ReportV1]) -> list[ReportV1]:
    return sorted(reports, key=lambda r: (r.received_at, r.source.system, r.source.report_id))
