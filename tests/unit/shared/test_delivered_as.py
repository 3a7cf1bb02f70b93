"""Who published a message, as the sender check sees it, also after the message went round the consumer's
retry queue (shared/bus.py ``delivered_as``)."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from shared.bus import RETRIED_ROUTING_KEY, RETRIED_USER, delivered_as
from shared.topology import Consumer

REPORTS = Consumer("intake", "reports", "report.*.*")


def message(exchange: str, routing_key: str, user_id: str | None, headers: dict[str, Any]) -> Any:
    return SimpleNamespace(raw_message=SimpleNamespace(exchange=exchange, routing_key=routing_key, user_id=user_id),
                           headers=headers)


def test_a_first_delivery_is_what_the_broker_says() -> None:
    msg = message("zhiban.events", "report.450122.wuming-yjj", "county-wuming", {})
    assert delivered_as(msg, REPORTS) == ("report.450122.wuming-yjj", "county-wuming")


def test_back_from_the_retry_queue_the_original_key_and_user_come_from_the_headers() -> None:
    msg = message("", REPORTS.queue_name, "guest",
                  {RETRIED_ROUTING_KEY: "report.450122.wuming-yjj", RETRIED_USER: "county-wuming"})
    assert delivered_as(msg, REPORTS) == ("report.450122.wuming-yjj", "county-wuming")


def test_headers_a_unit_system_sets_itself_are_ignored() -> None:
    spoof = {RETRIED_ROUTING_KEY: "report.450122.other-system", RETRIED_USER: "county-other"}
    msg = message("zhiban.events", "report.450122.wuming-yjj", "county-wuming", spoof)
    assert delivered_as(msg, REPORTS) == ("report.450122.wuming-yjj", "county-wuming")
    other_queue = message("", "zhiban.escalation.something", "county-wuming", spoof)
    assert delivered_as(other_queue, REPORTS) == ("zhiban.escalation.something", "county-wuming")
