"""The placement index's rules on its own: the epoch check and the covered interval."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from services.intake.placement_index import CachedIncident, PartitionIndex

T0 = datetime(2026, 11, 28, tzinfo=UTC)


def incident(n: int, hours: int) -> CachedIncident:
    return CachedIncident(f"INC-{n}", f"s/{n}", {}, T0 + timedelta(hours=hours), T0 + timedelta(hours=hours))


def test_kept_only_when_the_epoch_is_the_next_one() -> None:
    index = PartitionIndex(0)
    index.sync(1)
    index.put(incident(1, 0))
    index.covered = (T0, T0)
    index.sync(2)  # nobody else took the claim
    assert "INC-1" in index.incidents
    index.sync(4)  # someone held it at epoch 3
    assert not index.incidents and index.covered is None and index.epoch == 4
    index.put(incident(1, 0))
    index.drop()
    index.sync(5)  # after a failed placement nothing is trusted, even the next epoch
    assert not index.incidents


async def test_loads_only_what_is_not_covered_yet() -> None:
    index = PartitionIndex(0)
    index.sync(1)
    store = [incident(1, 0), incident(2, 10), incident(3, 30)]
    asked: list[tuple[datetime, datetime]] = []

    async def load(since: datetime, until: datetime) -> list[CachedIncident]:
        asked.append((since, until))
        return [i for i in store if i.event_to >= since and i.event_from <= until]

    h = timedelta(hours=1)
    assert [i.incident_id for i in await index.candidates(T0 - h, T0 + h, load)] == ["INC-1"]
    assert [i.incident_id for i in await index.candidates(T0 + 9 * h, T0 + 11 * h, load)] == ["INC-2"]
    assert asked == [(T0 - h, T0 + h), (T0 + h, T0 + 11 * h)]
    assert [i.incident_id for i in await index.candidates(T0, T0 + 10 * h, load)] == ["INC-1", "INC-2"]
    assert len(asked) == 2  # inside the covered interval: from memory
    await index.candidates(T0 + 29 * h, T0 + 31 * h, load)
    assert asked[-1] == (T0 + 11 * h, T0 + 31 * h)


async def test_dropped_when_too_large() -> None:
    index = PartitionIndex(0, max_incidents=2)
    index.sync(1)
    calls = 0

    async def load(since: datetime, until: datetime) -> list[CachedIncident]:
        nonlocal calls
        calls += 1
        return [incident(n, 0) for n in range(3)]

    await index.candidates(T0, T0, load)
    await index.candidates(T0, T0, load)  # three held, above the bound: read again
    assert calls == 2 and len(index.incidents) == 3
