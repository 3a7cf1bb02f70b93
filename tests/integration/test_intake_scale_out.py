"""Scale-out on the real broker: two intake processes, reports of several events published at once, in an
interleaved order where the earliest received report of each event is not the first to arrive. Exactly one
incident per event, with the earliest received as primary (docs/intake-scale-out.md)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from urllib.parse import unquote, urlsplit

import httpx
import pytest

from services.intake.domain.areas import AreaTable
from services.intake.partitions import partition_of
from tests.helpers import eventually
from tests.integration.conftest import Cluster, ServiceProcess, publish_json, rabbitmqctl

pytestmark = pytest.mark.integration

AREAS = AreaTable.load("450000")
# (city, county, what happened): three cities fall in each of the two partitions
EVENTS = [
    ("450100", "450126", "化工厂", "production_safety", "爆炸"),
    ("450200", "450222", "加油站", "fire", "起火"),
    ("450300", "450321", "水库", "natural_disaster", "溃坝险情"),
    ("450400", "450421", "煤矿", "production_safety", "透水"),
    ("450500", "450521", "码头", "production_safety", "坍塌"),
    ("450600", "450621", "隧道", "road_traffic", "连环追尾"),
]


def reports_of(n: int, base: datetime) -> list[dict]:
    city, county, site, category, what = EVENTS[n]
    name = AREAS.name(county)
    occurred = base + timedelta(minutes=n)
    out = []
    # (system, area code given, minutes after occurrence it was received): the county bureau, the city
    # department (gives only the city code), the fire brigade
    for system, code, received_after in ((f"c{county}-yjj", county, 6), (f"c{city}-dept", city, 4),
                                         (f"c{county}-fire", county, 9)):
        out.append({
            "schema": "zhiban.report/1",
            "source": {"system": system, "unit": f"{name}报送单位{system}", "report_id": f"{system}-{n}"},
            "received_at": (occurred + timedelta(minutes=received_after)).isoformat(),
            "occurred_at": occurred.isoformat(),
            "area_code": code,
            "place": f"{name}某{site}",
            "category": category,
            "title": f"{name}某{site}发生{what}事故",
            "text": f"{occurred:%H时%M分}许，{name}某{site}发生{what}，已造成2人受伤，相关部门已到场处置。",
            "casualties": {"deaths": 0, "injuries": 2, "missing": 0, "trapped": 0},
        })
    return out


def vhost_of(cluster: Cluster) -> str:
    return unquote(urlsplit(cluster.amqp_url).path[1:])


async def bound(cluster: Cluster, partitions: int) -> bool:
    listing = rabbitmqctl("list_bindings", "-p", vhost_of(cluster), "destination_name", "routing_key").stdout
    counts = {k: sum(1 for line in listing.splitlines() if line.startswith(f"zhiban.intake.reports.p{k}\treport.4"))
              for k in range(partitions)}
    return all(n > 10 for n in counts.values())


def incidents_of(cluster: Cluster, process: ServiceProcess) -> list[dict]:
    h = cluster.auth("duty_officer")
    page = httpx.get(process.base_url + "/api/v1/incidents?limit=200", headers=h, timeout=30).json()
    return [httpx.get(f"{process.base_url}/api/v1/incidents/{i['id']}", headers=h, timeout=30).json()
            for i in page["items"]]


async def publish_interleaved(amqp, base: datetime) -> list[list[dict]]:  # noqa: ANN001
    events = [reports_of(n, base) for n in range(len(EVENTS))]
    # per event: the fire brigade (received last) first, then the county bureau, then the city department
    # (received first) — and the events interleaved, all published at once
    order = [events[n][i] for i in (2, 0, 1) for n in range(len(events))]
    await asyncio.gather(*(publish_json(amqp, f"report.{r['area_code']}.{r['source']['system']}", r) for r in order))
    return events


async def check_one_incident_per_event(cluster: Cluster, processes: list[ServiceProcess], events: list[list[dict]]) -> \
        list[list[dict]]:
    expected = sum(len(e) for e in events)

    async def placed() -> list[list[dict]]:
        found = [incidents_of(cluster, p) for p in processes]
        n = sum(len(i["reports"]) for per in found for i in per)
        return found if n >= expected else []

    found = await eventually(placed, timeout=30, every=0.3)
    incidents = [i for per in found for i in per]
    assert len(incidents) == len(events), [(i["id"], i["report_keys"]) for i in incidents]
    for reports in events:
        keys = {f"{r['source']['system']}/{r['source']['report_id']}" for r in reports}
        [holder] = [i for i in incidents if keys & set(i["report_keys"])]
        assert set(holder["report_keys"]) == keys
        earliest = min(reports, key=lambda r: r["received_at"])
        assert holder["primary_report"] == f"{earliest['source']['system']}/{earliest['source']['report_id']}"
        assert [r["id"] for r in holder["reports"] if r["primary"]] == [holder["primary_report"]]
    return found


async def test_two_processes_each_own_a_partition(cluster: Cluster, amqp) -> None:  # noqa: ANN001
    assert {partition_of(city, AREAS, 2) for city, *_ in EVENTS} == {0, 1}
    env = {"ZHIBAN_INTAKE_REGION": "450000", "ZHIBAN_INTAKE_PARTITIONS": "2"}
    first = cluster.start("intake", seed_demo=False, env={**env, "ZHIBAN_INTAKE_PARTITION_IDS": "[0]"})
    second = cluster.start("intake", seed_demo=False, env={**env, "ZHIBAN_INTAKE_PARTITION_IDS": "[1]"})
    await eventually(lambda: bound(cluster, 2), timeout=20, every=0.3)
    events = await publish_interleaved(amqp, datetime.now(UTC) - timedelta(hours=1))
    found = await check_one_incident_per_event(cluster, [first, second], events)
    assert all(found), "both processes placed some of the events"


async def test_competing_processes_on_all_partitions_still_one_incident(cluster: Cluster, amqp) -> None:  # noqa: ANN001
    """Both processes subscribe to every partition; single-active-consumer gives each partition to one."""
    env = {"ZHIBAN_INTAKE_REGION": "450000", "ZHIBAN_INTAKE_PARTITIONS": "2"}
    processes = [cluster.start("intake", seed_demo=False, env=env) for _ in range(2)]
    await eventually(lambda: bound(cluster, 2), timeout=20, every=0.3)
    events = await publish_interleaved(amqp, datetime.now(UTC) - timedelta(hours=1))
    await check_one_incident_per_event(cluster, processes, events)
