"""HTTP bad input: precise 4xx answers in Chinese, never a 500."""

from __future__ import annotations

from tests.helpers import sample_report
from tests.service.conftest import System


async def test_oversized_body_is_refused_with_413(system: System) -> None:
    huge = sample_report(text="事" * 100)
    huge["padding"] = "x" * (21 * 1024 * 1024)
    r = await system.client.post("/api/v1/reports", json=huge, headers=system.auth("duty_officer"))
    assert r.status_code == 413
    assert r.json()["code"] == "body_too_large" and "请求体过大" in r.json()["message"]


async def test_wrong_types_name_the_field(system: System) -> None:
    r = await system.client.post("/api/v1/reports", json=sample_report(casualties={"deaths": "很多"}),
                                 headers=system.auth("duty_officer"))
    assert r.status_code == 422
    body = r.json()
    assert body["code"] == "invalid_field" and body["field"] == "casualties.deaths"
    assert "死亡人数" in body["message"] and "很多" in body["message"]


async def test_malformed_json_is_a_400_not_a_crash(system: System) -> None:
    r = await system.client.post("/api/v1/reports", content=b"{not json", headers={
        **system.auth("duty_officer"), "Content-Type": "application/json"})
    assert r.status_code == 400
    assert r.json()["code"] == "not_json" and "不是合法的JSON" in r.json()["message"]


async def test_validation_errors_elsewhere_name_the_field_in_chinese(system: System) -> None:
    r = await system.client.get("/api/v1/incidents?limit=100000", headers=system.auth("duty_officer"))
    assert r.status_code == 422
    body = r.json()
    assert body["code"] == "invalid_request" and body["errors"][0]["field"] == "limit"
    assert "请求内容不符合要求" in body["message"]


async def test_unknown_incident_is_a_404_in_chinese(system: System) -> None:
    r = await system.client.get("/api/v1/incidents/INC-NOPE", headers=system.auth("duty_officer"))
    assert r.status_code == 404 and "事件不存在" in r.json()["message"]
