"""Durable timers across a restart of the broker (issue 4 item 5), on a RabbitMQ node of the test's own
(rabbit_node.py: the shared broker at AMQP_URL is never restarted).

1. The node is stopped and started again while every service keeps running: they reconnect by themselves. The
   deadline falling in the outage fires once from escalation's store; its reminder waits in the outbox while the
   broker is down and goes out when it is back; notify delivers it once; the timers still pending are still on the
   broker; the broker's copy of the fired one, back from its wait queue, finds it fired.
2. Escalation is killed (its memory:// store lost with it) and the node restarted: the node comes back with every
   timer from its disk, and the restarted escalation fires the one due once, from the broker's copy.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aio_pika
import httpx
import pytest

from services.escalation.service_routing import short_id
from shared.topology import TIMER_TIERS_S
from tests.helpers import eventually, sample_report
from tests.integration.conftest import Cluster, ServiceProcess, running_cluster
from tests.integration.rabbit_node import RabbitNode

pytestmark = [pytest.mark.integration, pytest.mark.slow]

TIMER_QUEUES = [*(f"zhiban.escalation.timer-wait.{s}" for s in TIMER_TIERS_S), "zhiban.escalation.timers"]
API = "/api/v1/escalation"


@pytest.fixture
def cluster(rabbit_node: RabbitNode, tmp_path: Path) -> Iterator[Cluster]:
    """The services as separate processes, on the private node."""
    with running_cluster(rabbit_node.url, tmp_path) as c:
        yield c


def _get(url: str, cluster: Cluster) -> dict | list:
    r = httpx.get(url, headers=cluster.auth("duty_officer"), timeout=5)
    return r.json() if r.status_code == 200 else {}


async def _publish_report(url: str, report: dict) -> None:
    connection = await aio_pika.connect(url)
    try:
        channel = await connection.channel(publisher_confirms=True)
        exchange = await channel.declare_exchange("zhiban.events", aio_pika.ExchangeType.TOPIC, durable=True)
        await exchange.publish(aio_pika.Message(json.dumps(report, ensure_ascii=False).encode(),
                                                delivery_mode=aio_pika.DeliveryMode.PERSISTENT),
                               routing_key="report.450110.wuming-yjj")
    finally:
        await connection.close()


async def _timers_on_broker(node: RabbitNode) -> int:
    """Timer messages the node holds ready: waiting in a wait queue, or dead-lettered and not yet consumed.
    (A passive declare gives the exact count; rabbitmqctl list_queues lags for quorum queues.)"""
    connection = await aio_pika.connect(node.url)
    try:
        total = 0
        for name in TIMER_QUEUES:
            channel = await connection.channel()
            queue = await channel.declare_queue(name, passive=True)
            total += queue.declaration_result.message_count or 0
            await channel.close()
        return total
    finally:
        await connection.close()


class Scene:
    """One major incident whose phone-report deadline is due ``due_in_s`` from now, and how to watch it."""

    def __init__(self, node: RabbitNode, cluster: Cluster) -> None:
        self.node = node
        self.cluster = cluster
        self.intake = cluster.start("intake")
        self.escalation = cluster.start("escalation")
        cluster.start("scheduling")
        self.notify = cluster.start("notify")
        self.incident_id = ""
        self.timer: dict = {}

    def timers(self, escalation: ServiceProcess | None = None) -> dict:
        url = f"{(escalation or self.escalation).base_url}{API}/incidents/{self.incident_id}/timers"
        return _get(url, self.cluster) or {}  # type: ignore[return-value]

    async def open_incident(self, report_id: str, due_in_s: float) -> None:
        # 重大 (11 dead): the phone report is due 30 min after occurrence
        occurred = datetime.now(UTC) - timedelta(minutes=30) + timedelta(seconds=due_in_s)
        await _publish_report(self.node.url, sample_report(
            report_id=report_id, occurred_at=occurred.isoformat(), casualties={"deaths": 11},
            title="某化工厂爆炸事故造成11人死亡"))

        async def incident() -> str:
            items = _get(self.intake.base_url + "/api/v1/incidents", self.cluster)
            return items["items"][0]["id"] if items and items["items"] else ""  # type: ignore[call-overload]

        self.incident_id = await eventually(incident, timeout=30)

        async def phone_timer() -> dict:
            data = self.timers()
            phone = [t for t in data.get("items", []) if t["id"].startswith(f"{self.incident_id}:phone:")
                     and t["kind"] == "deadline_overdue"]
            return phone[0] if phone and data["outbox_pending"] == 0 else {}

        self.timer = await eventually(phone_timer, timeout=20)

    def pending(self, escalation: ServiceProcess | None = None) -> int:
        return sum(1 for t in self.timers(escalation).get("items", []) if t["state"] == "pending")

    async def every_pending_timer_on_the_broker(self) -> int:
        """Wait until the node holds a message for every pending timer; returns how many are pending."""
        pending = self.pending()

        async def held() -> bool:
            return await _timers_on_broker(self.node) >= pending

        await eventually(held, timeout=20, every=0.5)
        return pending

    async def fired(self, escalation: ServiceProcess | None = None) -> dict:
        mine = [t for t in self.timers(escalation).get("items", []) if t["id"] == self.timer["id"]]
        return mine[0] if mine and mine[0]["state"] == "fired" else {}

    def reminders(self) -> list[dict]:
        url = f"{self.notify.base_url}/api/v1/notifications?incident_id={self.incident_id}"
        prefix = f"t{short_id(self.timer['id'])}_"
        return [n for n in _get(url, self.cluster) or [] if n["id"].startswith(prefix)]  # type: ignore[union-attr]

    async def delivered_reminders(self) -> list[dict]:
        async def delivered() -> list[dict]:
            notes = self.reminders()
            return notes if notes and all(n["state"] == "delivered" for n in notes) else []

        return await eventually(delivered, timeout=60)

    async def fired_once(self, record: dict, notes: list[dict], escalation: ServiceProcess | None = None) -> None:
        """Let every wait-queue tier turn over once more: a second firing or a second reminder would show now."""
        await asyncio.sleep(2 * TIMER_TIERS_S[1] + 2)
        assert (await self.fired(escalation))["fired_at"] == record["fired_at"]
        later = self.reminders()
        assert sorted(n["id"] for n in later) == sorted(n["id"] for n in notes)
        for n in later:  # notify was asked once for each
            assert [h["state"] for h in n["history"]].count("pending") == 1


async def test_services_ride_out_a_broker_restart_and_the_timer_fires_once(
        rabbit_node: RabbitNode, cluster: Cluster) -> None:
    scene = Scene(rabbit_node, cluster)
    await scene.open_incident("RESTART-1", due_in_s=25)
    await scene.every_pending_timer_on_the_broker()
    assert scene.timer["state"] == "pending"  # precondition: the deadline falls in the outage

    rabbit_node.stop()
    # the broker is down: the deadline passes, the store's copy fires, and the reminder it sends is kept
    async def fired_and_kept() -> dict:
        record = await scene.fired()
        # fired (claimed), its reminders added to the outbox, then its result recorded
        return record if record.get("result") and scene.timers()["outbox_pending"] > 0 else {}

    record = await eventually(fired_and_kept, timeout=60)
    assert scene.reminders() == []  # nothing reached notify while the broker was down
    assert rabbit_node.proc is not None and rabbit_node.proc.poll() is not None

    rabbit_node.start()  # same data directory; the services were not touched and reconnect by themselves
    notes = await scene.delivered_reminders()
    assert "p-head" in {n["person_id"] for n in notes}  # overdue: the duty-room head, from the outbox
    assert "未能确定值班人员" in record["result"]  # scheduling could not be asked during the outage
    assert scene.timers()["outbox_pending"] == 0
    # the timers still pending were kept by the node through its restart
    pending = scene.pending()
    assert pending > 0

    async def held() -> bool:  # (one being handled right now is unacknowledged, not counted: ask again)
        return await _timers_on_broker(rabbit_node) >= pending

    await eventually(held, timeout=20, every=0.5)

    # the consumers are back too: a follow-up goes intake → escalation
    await _publish_report(rabbit_node.url, sample_report(
        report_id="RESTART-1-2", follow_up_of="RESTART-1", casualties={"deaths": 11},
        title="某化工厂爆炸事故造成11人死亡（续报）"))

    async def followed_up() -> dict:
        view = _get(f"{scene.escalation.base_url}{API}/incidents/{scene.incident_id}", cluster)
        return view if view and len(view.get("reports", [])) >= 2 else {}  # type: ignore[union-attr]

    await eventually(followed_up, timeout=30)
    await scene.fired_once(record, notes)


async def test_timers_come_back_with_the_restarted_broker_to_a_restarted_escalation(
        rabbit_node: RabbitNode, cluster: Cluster) -> None:
    scene = Scene(rabbit_node, cluster)
    await scene.open_incident("RESTART-2", due_in_s=30)
    pending = await scene.every_pending_timer_on_the_broker()
    assert scene.timer["state"] == "pending"  # precondition: not fired before the crash

    scene.escalation.kill()  # as a crash would: its memory:// store is gone with it
    rabbit_node.stop()
    rabbit_node.start()

    async def held() -> bool:  # nobody consumes the timers now: the node has every one back from its disk
        return await _timers_on_broker(rabbit_node) >= pending

    await eventually(held, timeout=20, every=0.5)  # a quorum queue counts 0 until its leader is elected

    restarted = cluster.start("escalation")
    assert _get(f"{restarted.base_url}{API}/incidents/{scene.incident_id}", cluster) == {}  # store lost

    async def fired() -> dict:
        return await scene.fired(restarted)

    record = await eventually(fired, timeout=90)
    notes = await scene.delivered_reminders()
    assert "p-head" in {n["person_id"] for n in notes}  # overdue goes to the duty-room head too
    await scene.fired_once(record, notes, restarted)
