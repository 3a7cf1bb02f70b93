"""Prometheus metrics, one registry for the process (exposed at /metrics by every HTTP app)."""

from typing import Any

from prometheus_client import Counter, Histogram

PUBLISHED = Counter("zhiban_published_total", "messages published", ["service", "routing_key"])
PARKED = Counter("zhiban_parked_total", "messages parked for a person", ["service", "code"])
HANDLED = Counter("zhiban_handled_total", "messages handled", ["service", "consumer", "outcome"])
LATENCY = Histogram("zhiban_handle_seconds", "time spent handling a message", ["service", "consumer"])
HTTP_REQUESTS = Counter("zhiban_http_requests_total", "HTTP requests", ["method", "status"])

_children: dict[tuple[Any, tuple[str, ...]], Any] = {}


def labelled(metric: Any, *labels: str) -> Any:
    """``metric.labels(*labels)``, looked up once per label set: prometheus_client's ``labels`` costs a few
    microseconds a call, paid per message by the consumers and publishers that count every message."""
    child = _children.get((metric, labels))
    if child is None:
        child = _children[(metric, labels)] = metric.labels(*labels)
    return child
