"""The bus topology in one place: exchanges, queues, routing keys, dead-letter (parking) and retry queues.

- ``zhiban.events``: durable topic exchange for domain events (past tense), commands (imperative),
  and the reports county systems publish on ``report.<area-code>.<system>``.
- every consumer has its own durable quorum queue with an explicit ``x-delivery-limit``; a message that
  still fails after that many deliveries is dead-lettered to ``zhiban.parking`` (never a crash loop).
- messages a consumer can never process (not JSON, fails the contract, too large, spoofed) are parked at
  once, with the reason in headers, through the same exchange.
- delayed retry without plugins: ``zhiban.retry.<queue>`` holds a message for a TTL, then dead-letters it
  back to its own queue through the default exchange.
"""

from __future__ import annotations

from dataclasses import dataclass

from faststream.rabbit import ExchangeType, QueueType, RabbitExchange, RabbitQueue

EVENTS = RabbitExchange("zhiban.events", type=ExchangeType.TOPIC, durable=True)
PARKING_EXCHANGE = RabbitExchange("zhiban.parking", type=ExchangeType.TOPIC, durable=True)
PARKING_QUEUE_NAME = "zhiban.parked"

# routing keys
REPORT_PATTERN = "report.#"  # report.<area-code>.<system>
INCIDENT_OPENED = "incident.opened"
REPORT_ATTACHED = "incident.report_attached"
INCIDENT_GRADED = "incident.graded"
NOTIFY_SEND = "notify.send"
NOTIFY_STATUS = "notify.status"
ON_DUTY_QUERY = "scheduling.query.on_duty"
NOTIFY_UNACKNOWLEDGED = "notify.unacknowledged"
TIMER_WAIT = "escalation.timer.wait"  # + ".<seconds>": one fixed-TTL wait queue per tier
TIMER_DUE = "escalation.timer.due"
ROSTER_PUBLISHED = "roster.published"
LEADER_AVAILABILITY_CHANGED = "leader.availability_changed"


def report_routing_key(area_code: str | None, system: str) -> str:
    return f"report.{area_code or '000000'}.{system}"


@dataclass(frozen=True)
class Consumer:
    service: str
    name: str
    routing_key: str

    @property
    def queue_name(self) -> str:
        return f"zhiban.{self.service}.{self.name}"

    @property
    def retry_queue_name(self) -> str:
        return f"zhiban.retry.{self.service}.{self.name}"


CONSUMERS: dict[str, Consumer] = {
    c.queue_name: c
    for c in (
        Consumer("intake", "reports", REPORT_PATTERN),
        Consumer("intake", "incident-graded", INCIDENT_GRADED),
        Consumer("escalation", "incident-opened", INCIDENT_OPENED),
        Consumer("escalation", "report-attached", REPORT_ATTACHED),
        Consumer("escalation", "notify-status", NOTIFY_STATUS),
        Consumer("escalation", "timers", TIMER_DUE),
        Consumer("escalation", "notify-unacknowledged", NOTIFY_UNACKNOWLEDGED),
        Consumer("escalation", "roster-published", ROSTER_PUBLISHED),
        Consumer("escalation", "leader-availability", LEADER_AVAILABILITY_CHANGED),
        Consumer("notify", "send", NOTIFY_SEND),
        Consumer("scheduling", "on-duty", ON_DUTY_QUERY),
        Consumer("scheduling", "duty-log-incidents", "incident.#"),
        Consumer("scheduling", "duty-log-notify", NOTIFY_STATUS),
        Consumer("scheduling", "roster-published", ROSTER_PUBLISHED),
        Consumer("scheduling", "leader-availability", LEADER_AVAILABILITY_CHANGED),
    )
}


def consumer(service: str, name: str) -> Consumer:
    return CONSUMERS[f"zhiban.{service}.{name}"]


def work_queue(c: Consumer, *, delivery_limit: int, single_active: bool = False) -> RabbitQueue:
    """A service's durable quorum queue; after ``delivery_limit`` redeliveries a message goes to parking.
    ``single_active``: one consumer at a time takes the queue's messages, the others stand by."""
    arguments: dict[str, object] = {
        "x-delivery-limit": delivery_limit,
        "x-dead-letter-exchange": PARKING_EXCHANGE.name,
        "x-dead-letter-routing-key": f"parked.{c.service}.{c.name}",
    }
    if single_active:
        arguments["x-single-active-consumer"] = True
    return RabbitQueue(
        c.queue_name, queue_type=QueueType.QUORUM, durable=True, routing_key=c.routing_key,
        arguments=arguments,  # type: ignore[arg-type,call-overload]
    )


def parking_queue() -> RabbitQueue:
    """Everything parked, from every service: kept for a person (intake records it for the API)."""
    return RabbitQueue(PARKING_QUEUE_NAME, queue_type=QueueType.QUORUM, durable=True, routing_key="#")


def retry_queue(c: Consumer, *, delay_ms: int) -> RabbitQueue:
    return RabbitQueue(
        c.retry_queue_name,
        queue_type=QueueType.QUORUM,
        durable=True,
        arguments={
            "x-message-ttl": delay_ms,
            "x-dead-letter-exchange": "",
            "x-dead-letter-routing-key": c.queue_name,
        },
    )


TIMER_TIERS_S = (1, 5, 30, 300, 3600)


def timer_wait_queue(seconds: int) -> RabbitQueue:
    """Escalation's durable timers on the broker: a message waits ``seconds`` (queue TTL, so no head-of-line
    blocking), then dead-letters to ``zhiban.escalation.timers``, which fires it or sends it round again.

    Dead-lettering is at-least-once (RabbitMQ >= 3.10, needs ``x-overflow: reject-publish``): the wait queue
    keeps a message until the timers queue has confirmed it. The default, at-most-once, drops it when the
    timers queue cannot take it — seen after a broker restart, where messages expired during the outage are
    dead-lettered before the timers queue has elected its leader ("leader not known. Command is dropped")."""
    return RabbitQueue(
        f"zhiban.escalation.timer-wait.{seconds}",
        queue_type=QueueType.QUORUM,
        durable=True,
        routing_key=f"{TIMER_WAIT}.{seconds}",
        arguments={
            "x-message-ttl": seconds * 1000,
            "x-dead-letter-exchange": "",
            "x-dead-letter-routing-key": "zhiban.escalation.timers",
            "x-dead-letter-strategy": "at-least-once",
            "x-overflow": "reject-publish",
        },
    )
