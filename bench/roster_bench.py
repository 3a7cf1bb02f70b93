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


def run(year: int, officers: int, calendar: OfficialCalendar) -> list[str]:
    people = staff(officers=officers)
    began = time.perf_counter()
    draft = generate_roster(date(year, 1, 1), date(year, 12, 31), people, RosterConfig(), calendar)
    elapsed = time.perf_counter() - began
    spread = fairness_report(draft, [p.person_id for p in people if Role.DUTY_OFFICER in p.roles])["spread"]
    return [str(year), str(len(people)), str(officers), str(len(draft.shifts)), f"{elapsed * 1000:.1f}",
            *(str(spread[k]) for k in ("shifts", "nights", "weekend", "holiday")), str(len(draft.warnings))]


def main() -> None:
    """Markdown table: one row per (year, duty officers); spreads are max − min per duty officer."""
    years = [int(sys.argv[1])] if len(sys.argv) > 1 else [2025, 2026]
    officer_counts = [int(sys.argv[2])] if len(sys.argv) > 2 else [20, 40, 80]
    calendar = OfficialCalendar.load()
    header = ["year", "people", "duty officers", "shifts", "ms", "spread shifts", "spread nights",
              "spread weekend", "spread holiday", "warnings"]
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for year in years:
        for officers in officer_counts:
            print("| " + " | ".join(run(year, officers, calendar)) + " |")


if __name__ == "__main__":
    main()
