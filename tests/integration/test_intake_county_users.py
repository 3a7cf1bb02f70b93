"""A county system with its own RabbitMQ user, limited by topic permissions to its own routing keys
(docs/intake-county-users.md): the broker refuses another system's key and a forged user_id; intake parks
a report whose source.system does not belong to the user that sent it."""

from __future__ import annotations

import json
import uuid
from urllib.parse import quote, unquote, urlsplit, urlunsplit

import aio_pika
import httpx
import pytest

from tests.helpers import eventually, sample_report
from tests.integration.conftest import Cluster, rabbitmqctl

pytestmark = pytest.mark.integration


@pytest.fixture
def county_user(cluster: Cluster):  # noqa: ANN201
    """A RabbitMQ user for the 武鸣 system: write to zhiban.events only, only on report.<6 digits>.wuming-yjj."""
    vhost = unquote(urlsplit(cluster.amqp_url).path[1:])
    user, password = f"wuming-{uuid.uuid4().hex[:8]}", uuid.uuid4().hex
    rabbitmqctl("add_user", user, password)
    try:
        rabbitmqctl("set_permissions", "-p", vhost, user, "^$", "^zhiban\\.events$", "^$")
        rabbitmqctl("set_topic_permissions", "-p", vhost, user, "zhiban.events", "^report\\.\\d{6}\\.wuming-yjj$", "^$")
        parts = urlsplit(cluster.amqp_url)
        netloc = f"{quote(user)}:{password}@{parts.hostname}:{parts.port or 5672}"
        yield user, urlunsplit((parts.scheme, netloc, parts.path, "", ""))
    finally:
        rabbitmqctl("delete_user", user)


async def publish(url: str, routing_key: str, body: dict, **props: object) -> None:
    connection = await aio_pika.connect(url)
    try:
        channel = await connection.channel(publisher_confirms=True)
        exchange = await channel.get_exchange("zhiban.events", ensure=False)
        await exchange.publish(aio_pika.Message(json.dumps(body, ensure_ascii=False).encode(), **props),  # type: ignore[arg-type]
                               routing_key=routing_key)
    finally:
        await connection.close()


async def test_county_user_is_held_to_its_own_system(cluster: Cluster, county_user) -> None:  # noqa: ANN001
    user, url = county_user
    intake = cluster.start("intake", seed_demo=False, env={
        "ZHIBAN_INTAKE_SYSTEM_USERS": json.dumps({"wuming-yjj": user, "binyang-yjj": "binyang-sys"})})
    h = cluster.auth("duty_officer")

    # its own key, its own user_id: accepted and placed
    await publish(url, "report.450110.wuming-yjj", sample_report(report_id="CU-1"), user_id=user)
    # the broker refuses another system's routing key (topic permission) ...
    with pytest.raises(aio_pika.exceptions.ChannelClosed, match="ACCESS_REFUSED"):
        await publish(url, "report.450126.binyang-yjj", sample_report(system="binyang-yjj", report_id="CU-2"),
                      user_id=user)
    # ... and a user_id that is not the connection's user
    with pytest.raises(aio_pika.exceptions.ChannelClosed, match="PRECONDITION_FAILED"):
        await publish(url, "report.450110.wuming-yjj", sample_report(report_id="CU-3"), user_id="binyang-sys")
    # on its own key, claiming to be another system: intake parks it as spoofed
    await publish(url, "report.450110.wuming-yjj", sample_report(system="binyang-yjj", report_id="CU-4"), user_id=user)
    # without a user_id at all, nothing vouches for the sender: spoofed too
    await publish(url, "report.450110.wuming-yjj", sample_report(report_id="CU-5"))

    async def parked() -> list[dict]:
        async with httpx.AsyncClient(base_url=intake.base_url, headers=h, timeout=30) as client:
            items = (await client.get("/api/v1/parked")).json()["items"]
        return items if len(items) >= 2 else []

    items = await eventually(parked, timeout=20, every=0.2)
    assert {i["reason"] for i in items} == {"spoofed"}
    by_id = {json.loads(i["body_text"])["source"]["report_id"]: i for i in items}
    assert set(by_id) == {"CU-4", "CU-5"}
    assert by_id["CU-4"]["user_id"] == user and "binyang-sys" in by_id["CU-4"]["error"]
    async with httpx.AsyncClient(base_url=intake.base_url, headers=h, timeout=30) as client:
        incidents = (await client.get("/api/v1/incidents")).json()
    assert [i["primary_report"] for i in incidents["items"]] == ["wuming-yjj/CU-1"]
