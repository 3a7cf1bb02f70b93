"""The contact directory notify owns: import with validation, and what a viewer may see of it."""

from __future__ import annotations

from dataclasses import asdict
from datetime import time
from typing import Any

from services.notify.domain.directory import (
    AvailabilityWindow,
    ContactKind,
    ContactMethod,
    Person,
    contact,
    masked_view,
)
from services.notify.domain.numbers import InvalidContact
from services.notify.store import contacts_as_list


def _window(raw: dict[str, Any]) -> AvailabilityWindow:
    return AvailabilityWindow(frozenset(raw.get("weekdays", range(7))), time.fromisoformat(raw["start"]),
                              time.fromisoformat(raw["end"]))


def to_person(doc: dict[str, Any]) -> Person:
    """A stored person as the domain sees it. Stored values were validated on import; the demo's
    {kind: value} form is validated here too, so a bad value never reaches a gateway."""
    methods: list[ContactMethod] = []
    for item in contacts_as_list(doc.get("contacts")):
        try:
            methods.append(contact(item["kind"], item["value"], private=bool(item.get("private")),
                                   windows=[_window(w) for w in item.get("windows", [])]))
        except (InvalidContact, ValueError):
            continue  # recorded at import; an unusable value is skipped, never dialled
    return Person(doc["_id"], doc.get("name", ""), frozenset(doc.get("roles", [])), tuple(methods),
                  tuple(_window(w) for w in doc.get("availability", [])))


def validate_record(record: dict[str, Any]) -> tuple[dict[str, Any] | None, list[str]]:
    """One person to import → (document, []) or (None, precise Chinese errors)."""
    errors: list[str] = []
    pid = str(record.get("id", "")).strip()
    if not pid:
        errors.append("缺少人员编号 id")
    if not str(record.get("name", "")).strip():
        errors.append("缺少姓名 name")
    contacts = []
    for i, item in enumerate(contacts_as_list(record.get("contacts"))):
        try:
            method = contact(item["kind"], str(item["value"]), private=bool(item.get("private")),
                             windows=[_window(w) for w in item.get("windows", [])])
        except KeyError as exc:
            errors.append(f"第{i + 1}个联系方式缺少字段{exc}")
            continue
        except InvalidContact as exc:
            errors.append(f"第{i + 1}个联系方式：{exc}")
            continue
        except ValueError as exc:
            errors.append(f"第{i + 1}个联系方式：类型或时段无效（{exc}）")
            continue
        contacts.append({"kind": method.kind.value, "value": method.value, "private": method.private,
                         "windows": item.get("windows", [])})
    if errors:
        return None, errors
    return {"_id": pid, "name": record["name"], "title": record.get("title", ""), "roles": record.get("roles", []),
            "contacts": contacts, "availability": record.get("availability", [])}, []


def view(doc: dict[str, Any], *, can_dial: bool, can_see_private: bool) -> tuple[dict[str, Any], list[str]]:
    person = to_person(doc)
    seen = masked_view(person, can_dial=can_dial, can_see_private=can_see_private)
    contacts = [{k: (v.value if isinstance(v, ContactKind) else v) for k, v in asdict(c).items()}
                for c in seen.contacts]
    return ({"id": seen.id, "name": seen.name, "title": doc.get("title", ""), "roles": list(seen.roles),
             "contacts": contacts}, [k.value for k in seen.revealed])
