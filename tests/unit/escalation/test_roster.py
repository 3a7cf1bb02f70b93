"""The published roster as escalation holds it (domain/roster.py): which shift covers an instant — night
shifts across midnight included — and which roster decides when publications overlap or parts arrive late."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest

from services.escalation.domain.calendar import SHANGHAI
from services.escalation.domain.roster import HeldPart, HeldShift, near_days, on_shift, summaries


def at(day: str, hhmm: str) -> datetime:
    hh, mm = (int(x) for x in hhmm.split(":"))
    return datetime.combine(date.fromisoformat(day), time(hh, mm), SHANGHAI)


def day_and_night(roster: str, day: str, day_officer: str, night_officer: str, leader: str = "p-head") -> list[HeldShift]:
    """08:00–18:00 and 18:00–08:00 the next morning, as scheduling's generator makes them."""
    d = date.fromisoformat(day)
    return [
        HeldShift(f"{roster}-{day}-day", at(day, "08:00"), at(day, "18:00"), (day_officer,), leader, kind="day"),
        HeldShift(f"{roster}-{day}-night", at(day, "18:00"), at((d + timedelta(days=1)).isoformat(), "08:00"),
                  (night_officer,), leader, kind="night"),
    ]


def part(roster: str, n: int, parts: int, period: tuple[str, str], span: tuple[str, str], published: datetime,
         shifts: list[HeldShift]) -> HeldPart:
    return HeldPart(roster, n, parts, date.fromisoformat(period[0]), date.fromisoformat(period[1]),
                    date.fromisoformat(span[0]), date.fromisoformat(span[1]), published, tuple(shifts))


PUB_A = at("2026-10-20", "10:00")
PUB_B = at("2026-11-25", "09:00")


def roster_a() -> list[HeldPart]:
    """A: 2026-11-29 … 2026-12-01 in two parts (November, December)."""
    nov = day_and_night("A", "2026-11-29", "p-duty-1", "p-duty-2") + day_and_night("A", "2026-11-30", "p-duty-3",
                                                                                     "p-duty-4")
    dec = day_and_night("A", "2026-12-01", "p-duty-5", "p-duty-6")
    return [part("A", 1, 2, ("2026-11-29", "2026-12-01"), ("2026-11-29", "2026-11-30"), PUB_A, nov),
            part("A", 2, 2, ("2026-11-29", "2026-12-01"), ("2026-12-01", "2026-12-01"), PUB_A, dec)]


def who(parts: list[HeldPart], moment: datetime) -> tuple[str, ...] | None:
    found = on_shift(summaries(parts), parts, moment)
    return None if found is None else found.officers


@pytest.mark.parametrize(("moment", "officers"), [
    (at("2026-11-28", "23:59"), None),  # before the roster's period: no held roster claims it
    (at("2026-11-29", "07:59"), ()),  # its first day, before its first shift: the roster decides, nobody on
    (at("2026-11-29", "08:00"), ("p-duty-1",)),  # a shift covers its start …
    (at("2026-11-29", "17:59"), ("p-duty-1",)),
    (at("2026-11-29", "18:00"), ("p-duty-2",)),  # … not its end: the night shift has taken over
    (at("2026-11-29", "23:59"), ("p-duty-2",)),
    (at("2026-11-30", "00:00"), ("p-duty-2",)),  # across midnight: still the night that started the day before
    (at("2026-11-30", "07:59"), ("p-duty-2",)),
    (at("2026-11-30", "08:00"), ("p-duty-3",)),
    (at("2026-12-01", "02:00"), ("p-duty-4",)),  # November's last night, held in part 1, covers 1 December
    (at("2026-12-01", "09:00"), ("p-duty-5",)),
    (at("2026-12-02", "07:59"), ("p-duty-6",)),  # the last night runs past the period's end
    (at("2026-12-02", "08:00"), None),  # after the last night: nothing held
])
def test_which_shift_covers_an_instant(moment: datetime, officers: tuple[str, ...] | None) -> None:
    assert who(roster_a(), moment) == officers


def test_the_shift_leader_and_the_roster_are_named() -> None:
    found = on_shift(summaries(roster_a()), roster_a(), at("2026-11-30", "03:00"))
    assert found is not None
    assert found.roster_id == "A" and found.shift_leader == "p-head" and found.published_at == PUB_A
    assert [s.shift_id for s in found.shifts] == ["A-2026-11-29-night"]


def test_two_officers_on_one_shift_are_both_on_shift() -> None:
    [shift] = day_and_night("A", "2026-11-29", "p-duty-1", "x")[:1]
    two = HeldShift(shift.shift_id, shift.start, shift.end, ("p-duty-1", "p-duty-7"), "p-head")
    parts = [part("A", 1, 1, ("2026-11-29", "2026-11-29"), ("2026-11-29", "2026-11-29"), PUB_A, [two])]
    assert who(parts, at("2026-11-29", "12:00")) == ("p-duty-1", "p-duty-7")


def roster_b() -> HeldPart:
    """B, published later, replaces 2026-11-30 only (one part)."""
    return part("B", 1, 1, ("2026-11-30", "2026-11-30"), ("2026-11-30", "2026-11-30"), PUB_B,
                day_and_night("B", "2026-11-30", "p-duty-8", "p-duty-9", leader="l-sg"))


@pytest.mark.parametrize("order", [(0, 1, 2), (2, 0, 1), (1, 2, 0), (2, 1, 0)])
def test_a_superseding_roster_replaces_its_period_whatever_order_the_parts_arrive_in(order: tuple[int, ...]) -> None:
    everything = [*roster_a(), roster_b()]
    received = [everything[i] for i in order]
    assert who(received, at("2026-11-30", "10:00")) == ("p-duty-8",)  # B's day, not A's p-duty-3
    assert who(received, at("2026-12-01", "07:00")) == ("p-duty-9",)  # B's night runs into December
    assert who(received, at("2026-11-29", "10:00")) == ("p-duty-1",)  # outside B's period A still stands
    assert who(received, at("2026-12-01", "10:00")) == ("p-duty-5",)
    found = on_shift(summaries(received), received, at("2026-11-30", "10:00"))
    assert found is not None and found.roster_id == "B" and found.shift_leader == "l-sg"


def test_an_older_part_arriving_last_does_not_overwrite_the_newer_roster() -> None:
    b = roster_b()
    a1, a2 = roster_a()
    received = [b]
    assert who(received, at("2026-11-30", "10:00")) == ("p-duty-8",)
    received += [a2, a1]  # A's November part is redelivered after B
    assert who(received, at("2026-11-30", "10:00")) == ("p-duty-8",)
    assert who(received + [a1], at("2026-11-30", "10:00")) == ("p-duty-8",)  # twice: the same


def test_a_newer_roster_whose_part_has_not_arrived_is_named_as_pending() -> None:
    """C (newest) covers 29 Nov–1 Dec in two parts; only its December part is in: for 30 November the answer
    comes from what is held (A), and says that C is not complete yet."""
    pub_c = at("2026-11-27", "09:00")
    c2 = part("C", 2, 2, ("2026-11-29", "2026-12-01"), ("2026-12-01", "2026-12-01"), pub_c,
              day_and_night("C", "2026-12-01", "p-duty-11", "p-duty-12"))
    received = [*roster_a(), c2]
    found = on_shift(summaries(received), received, at("2026-11-30", "10:00"))
    assert found is not None and found.roster_id == "A" and found.officers == ("p-duty-3",)
    assert found.pending_newer == ("C",)
    assert who(received, at("2026-12-01", "10:00")) == ("p-duty-11",)  # where C's part is in, C decides
    c1 = part("C", 1, 2, ("2026-11-29", "2026-12-01"), ("2026-11-29", "2026-11-30"), pub_c,
              day_and_night("C", "2026-11-30", "p-duty-10", "p-duty-13"))
    received.append(c1)
    found = on_shift(summaries(received), received, at("2026-11-30", "10:00"))
    assert found is not None and found.roster_id == "C" and found.officers == ("p-duty-10",)
    assert found.pending_newer == ()


def test_a_complete_newer_roster_with_nobody_at_an_instant_still_replaces_the_older() -> None:
    """A complete roster claims its whole period: an older shift there does not show through a gap."""
    gap = part("D", 1, 1, ("2026-11-30", "2026-11-30"), ("2026-11-30", "2026-11-30"), PUB_B,
               day_and_night("D", "2026-11-30", "p-duty-8", "p-duty-9")[:1])  # a day shift only
    received = [*roster_a(), gap]
    found = on_shift(summaries(received), received, at("2026-11-30", "20:00"))
    assert found is not None and found.roster_id == "D" and found.officers == ()


def test_same_publication_time_is_ordered_by_roster_id() -> None:
    a = part("R-1", 1, 1, ("2026-11-30", "2026-11-30"), ("2026-11-30", "2026-11-30"), PUB_B,
             day_and_night("R-1", "2026-11-30", "p-duty-1", "p-duty-2"))
    b = part("R-2", 1, 1, ("2026-11-30", "2026-11-30"), ("2026-11-30", "2026-11-30"), PUB_B,
             day_and_night("R-2", "2026-11-30", "p-duty-3", "p-duty-4"))
    assert who([a, b], at("2026-11-30", "10:00")) == who([b, a], at("2026-11-30", "10:00")) == ("p-duty-3",)


def test_near_days_include_the_day_before_for_night_shifts() -> None:
    assert near_days(at("2026-12-01", "02:00")) == (date(2026, 11, 30), date(2026, 12, 1))


def test_a_naive_instant_is_refused() -> None:
    with pytest.raises(ValueError):
        on_shift([], [], datetime(2026, 11, 30, 10, 0))
