"""Small shared fixtures for the scheduling unit tests."""

from __future__ import annotations

from services.scheduling.domain.models import Person, Role


def person(pid: str, *roles: Role, group: str | None = None, name: str | None = None) -> Person:
    return Person(person_id=pid, name=name or pid, roles=frozenset(roles), group_id=group)


def office(officers: int = 12, leaders: int = 6, sections: int = 5, per_section: int = 3) -> list[Person]:
    people = [person("head", Role.DUTY_HEAD, name="值班室主任")]
    people += [person(f"o{i:02d}", Role.DUTY_OFFICER) for i in range(officers)]
    people += [person(f"l{i:02d}", Role.SHIFT_LEADER) for i in range(leaders)]
    people += [person(f"s{g}{m}", Role.SECTION_STAFF, group=f"sec{g}")
               for g in range(sections) for m in range(per_section)]
    return people
