"""An in-process copy of one partition's open incidents, as placement needs them (docs/intake-scale-out.md §6).

Placement reads the open incidents near a report and their reports, decides, and writes. Read from the
store every time, that is a range query over the incidents and an ``$in`` query over the reports per
report, and every report parsed again into ``ReportV1``. The holder of a partition's placement claim is
the only writer of that partition's placement state, so while it keeps the claim it can keep that state
in memory and update it with its own writes.

Correctness under scale-out rests on the claim's **epoch**: every acquisition of ``claims/partition:<k>``
increments it (one atomic ``find_one_and_update``). If this process takes the claim and gets
``epoch == last epoch it saw + 1``, nobody else held the claim in between — no other process placed a
report in this partition — and the copy is current. Any other epoch (another process held it, or this
process is new) drops the copy, and it is read again from the store. A placement that fails half-way
drops it too. The copy therefore never lets two processes open two incidents for one event: each of them
decides on exactly what the store holds, as before.

Bounded: the copy covers one interval of event time, loaded on demand, and is dropped when it holds more
than ``max_incidents``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from shared.contracts import ReportV1


@dataclass
class CachedIncident:
    incident_id: str
    primary_report: str
    casualties: dict[str, Any]
    event_from: datetime
    event_to: datetime
    reports: dict[str, ReportV1] = field(default_factory=dict)  # report key → report as stored
    primary_flags: dict[str, bool] = field(default_factory=dict)  # report key → its ``primary`` field as stored
    # the incident's fields placement recomputes (IncidentWriter.refresh), as last written: an update sets
    # only those that change
    written: dict[str, Any] = field(default_factory=dict)


Loader = Callable[[datetime, datetime], Awaitable[list[CachedIncident]]]


class PartitionIndex:
    def __init__(self, partition: int, *, max_incidents: int = 20_000) -> None:
        self.partition = partition
        self.max_incidents = max_incidents
        self.epoch: int | None = None
        self.incidents: dict[str, CachedIncident] = {}
        self.covered: tuple[datetime, datetime] | None = None  # every open incident reaching into it is here
        self.loads = 0  # store reads, for the benchmark's account and the tests

    def sync(self, epoch: int | None) -> None:
        """Called on taking the claim: keep the copy only if nobody held the claim since we last did."""
        if epoch is None or self.epoch is None or epoch != self.epoch + 1:
            self.reset()
        self.epoch = epoch

    def reset(self) -> None:
        self.incidents.clear()
        self.covered = None

    def drop(self) -> None:
        """Forget everything including the epoch (a placement failed half-way)."""
        self.reset()
        self.epoch = None

    async def candidates(self, since: datetime, until: datetime, load: Loader) -> list[CachedIncident]:
        """Open incidents whose event times reach into [since, until], reading from the store only the
        part of that interval not covered yet."""
        if self.covered is None or len(self.incidents) > self.max_incidents:
            self.reset()
            self._add(await load(since, until))
            self.covered = (since, until)
        else:
            lo, hi = self.covered
            if since < lo:
                self._add(await load(since, lo))
                lo = since
            if until > hi:
                self._add(await load(hi, until))
                hi = until
            self.covered = (lo, hi)
        return sorted((c for c in self.incidents.values() if c.event_to >= since and c.event_from <= until),
                      key=lambda c: c.incident_id)

    def get(self, incident_id: str) -> CachedIncident | None:
        return self.incidents.get(incident_id)

    def put(self, incident: CachedIncident) -> None:
        """An incident this process wrote (opened, or refreshed to its new state)."""
        self.incidents[incident.incident_id] = incident

    def remove(self, incident_id: str) -> None:
        """No longer open (merged, empty): no longer a candidate."""
        self.incidents.pop(incident_id, None)

    def _add(self, loaded: Iterable[CachedIncident]) -> None:
        self.loads += 1
        for incident in loaded:
            self.incidents.setdefault(incident.incident_id, incident)
