"""Benchmark: a year's roster for 200 people; prints the time and the fairness spreads.

Run from the repo root: python -m bench.roster_bench [year] [duty_officers]
"""

from __future__ import annotations

import sys
import time
from datetime import date

from services.scheduling.domain.calendar import OfficialCalendar
from services.scheduling.domain.models import Person, Role
from services.scheduling.domain.roster import RosterConfig, fairness_report, generate_roster


def staff(total: int = 200, officers: int = 40, leaders: int = 12, sections: int = 12) -> list[Person]:
    people = [Person(person_id="head", name="值班室主任", roles=frozenset({Role.DUTY_HEAD}))]
    people += [Person(person_id=f"o{i:03d}", name=f"值班员{i}", roles=frozenset({Role.DUTY_OFFICER}))
               for i in range(officers)]
    people += [Person(person_id=f"l{i:02d}", name=f"领导{i}", roles=frozenset({Role.SHIFT_LEADER}))
               for i in range(leaders)]
    rest = total - len(people)
    people += [Person(person_id=f"s{i:03d}", name=f"处室人员{i}", roles=frozenset({Role.SECTION_STAFF}),
                      group_id=f"sec{i % sections:02d}") for i in range(rest)]
    return people


def main() -> None:
    year = int(sys.argv[1]) if len(sys.argv) > 1 else 2026
    officers = int(sys.argv[2]) if len(sys.argv) > 2 else 40
    calendar = OfficialCalendar.load()
    people = staff(officers=officers)
    began = time.perf_counter()
    draft = generate_roster(date(year, 1, 1), date(year, 12, 31), people, RosterConfig(), calendar)
    elapsed = time.perf_counter() - began
    report = fairness_report(draft, [p.person_id for p in people if Role.DUTY_OFFICER in p.roles])
    print(f"{year}: {len(people)} people ({officers} duty officers), {len(draft.shifts)} shifts "
          f"generated in {elapsed * 1000:.1f} ms")
    print("fairness spread (max - min per duty officer):", report["spread"])
    print("warnings:", len(draft.warnings))


if __name__ == "__main__":
    main()
