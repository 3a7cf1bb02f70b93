"""Consistent partitioning of report.<area>.<system> by city (see docs/intake-scale-out.md).

All reports of one city go to one partition queue, so one event's reports are always placed by one
process, one after the other. Matching never joins reports of different cities (the area gate), so no
same-event pair is ever split across partitions. Pure: the AreaTable is passed in.
"""

from __future__ import annotations

import zlib

from services.intake.domain.areas import AreaTable
from shared.topology import Consumer, consumer

NO_AREA = "000000"


def city_key(area_code: str | None, areas: AreaTable) -> str:
    """The prefecture-level division of a code (a province stands for itself); NO_AREA when unknown."""
    if not area_code:
        return NO_AREA
    code = areas.current(area_code) or area_code
    chain = [code, *areas.ancestors(code)]
    return chain[-2] if len(chain) >= 2 else chain[-1]


def partition_of(area_code: str | None, areas: AreaTable, partitions: int) -> int:
    if partitions <= 1:
        return 0
    return zlib.crc32(city_key(area_code, areas).encode()) % partitions


def routed_codes(areas: AreaTable) -> list[str]:
    """Every code a report of this region may carry in its routing key: current, withdrawn, none."""
    region = areas.region
    current = [c for c in areas.names if region is None or areas.contains(region, c)]
    withdrawn = [old for old, r in areas.renames.items() if areas.is_known(r.current)]
    return sorted({*current, *withdrawn, NO_AREA})


def partition_bindings(areas: AreaTable, partitions: int) -> dict[int, list[str]]:
    """Partition → routing-key patterns ``report.<code>.*`` bound to its queue."""
    out: dict[int, list[str]] = {k: [] for k in range(partitions)}
    for code in routed_codes(areas):
        out[partition_of(None if code == NO_AREA else code, areas, partitions)].append(f"report.{code}.*")
    return out


def partition_consumer(k: int) -> Consumer:
    base = consumer("intake", "reports")
    return Consumer(base.service, f"{base.name}.p{k}", f"report.partition.{k}")
