"""Property: whatever is POSTed to /api/v1/reports, intake answers 201 (placed) or a 4xx with a
machine code, the field and a Chinese message — never a 500."""

from __future__ import annotations

import asyncio
import contextlib
import copy
import json
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from services import demo
from services.app import embedded
from tests.helpers import sample_report

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-10**12, 10**12) | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=10,
)
FIELDS = ["schema", "source", "source.system", "source.report_id", "source.unit", "channel", "received_at",
          "occurred_at", "area_code", "place", "category", "title", "text", "casualties", "casualties.deaths",
          "casualties.injuries", "evacuated", "economic_loss_cny", "contact", "contact.phone", "classification",
          "follow_up_of"]
area_codes = st.sampled_from(["450110", "450126", "450100", "110101", "000000", "450199"]) | st.text(max_size=8)
times = st.datetimes().map(lambda d: d.isoformat() + st_offset(d)) | st.text(max_size=25)


def st_offset(d: Any) -> str:
    return ["", "Z", "+08:00", "-05:30"][d.microsecond % 4]


def with_field(path: str, value: Any, n: int) -> dict[str, Any]:
    report = copy.deepcopy(sample_report(report_id=f"P-{n}"))
    node = report
    *parents, last = path.split(".")
    for p in parents:
        if not isinstance(node.get(p), dict):
            node[p] = {}
        node = node[p]
    node[last] = value
    return report


bodies = (
    st.binary(max_size=400)
    | json_values.map(lambda v: json.dumps(v).encode())
    | st.builds(lambda p, v, n: json.dumps(with_field(p, v, n), ensure_ascii=False).encode(),
                st.sampled_from(FIELDS), json_values, st.integers(0, 50))
    | st.builds(lambda a, n: json.dumps(with_field("area_code", a, n)).encode(), area_codes, st.integers(0, 50))
    | st.builds(lambda t, f, n: json.dumps(with_field(f, t, n)).encode(), times,
                st.sampled_from(["occurred_at", "received_at"]), st.integers(0, 50))
)


@pytest.fixture(scope="module")
def client() -> Iterator[tuple[asyncio.AbstractEventLoop, httpx.AsyncClient, str]]:
    loop = asyncio.new_event_loop()
    users, tokens = demo.demo_users()
    app, runtime = embedded(users=users, overrides={"store_url": f"memory://prop-{uuid.uuid4().hex}"})
    loop.run_until_complete(app.state.audit.setup())
    loop.run_until_complete(runtime.start())
    http = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://zhiban.test")
    try:
        yield loop, http, tokens["duty_officer"]
    finally:
        loop.run_until_complete(http.aclose())
        with contextlib.suppress(TimeoutError):
            loop.run_until_complete(asyncio.wait_for(runtime.stop(), 10))
        loop.close()


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=bodies)
def test_post_report_never_500s(client: tuple[asyncio.AbstractEventLoop, httpx.AsyncClient, str], body: bytes) -> None:
    loop, http, token = client
    r = loop.run_until_complete(http.post("/api/v1/reports", content=body, headers={
        "Authorization": f"Bearer {token}", "Content-Type": "application/json"}))
    assert r.status_code < 500, (body[:200], r.text[:300])
    answer = r.json()
    if r.status_code in (200, 201):
        assert answer["status"] in ("opened", "attached", "duplicate") and answer["incident_id"]
    else:
        assert 400 <= r.status_code < 500
        assert answer["code"] and answer["message"] and "field" in answer
