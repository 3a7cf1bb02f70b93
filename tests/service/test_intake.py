"""Intake over the in-memory broker: every channel normalised, refusals precise and kept, one incident per
real event with the earliest received report as primary, follow-ups, duplicates, split and merge."""

from __future__ import annotations

import json
from pathlib import Path

from tests.helpers import eventually, sample_report
from tests.service.conftest import System
from tests.service.test_spine import publish_report

ENV_REPORT = dict(  # the same explosion, seen by the environment bureau as a leak, received earlier
    system="nn-sthj", unit="南宁市生态环境局", report_id="HB-77", category="environment",
    title="武鸣区城厢镇某化工厂爆炸后发生泄漏", place="武鸣区城厢镇某化工厂",
    text="9时40分许武鸣区城厢镇某化工厂爆炸，厂区发生化学品泄漏，环境监测人员已到场。",
)


async def post(system: System, report: dict, role: str = "duty_officer"):  # noqa: ANN201
    return await system.client.post("/api/v1/reports", json=report, headers=system.auth(role))


def intake_entries(detail: dict) -> list[dict]:
    """The timeline without escalation's gradings, which arrive on their own time (test_intake_level.py)."""
    return [e for e in detail["timeline"] if e["kind"] != "graded"]


async def incident(system: System, incident_id: str) -> dict:
    r = await system.client.get(f"/api/v1/incidents/{incident_id}", headers=system.auth("duty_officer"))
    assert r.status_code == 200, r.text
    return r.json()


async def test_http_report_is_normalised_to_utc_and_missing_elements_listed(system: System) -> None:
    report = sample_report(report_id="N-1", measures=None, casualties={"deaths": "3人", "injuries": "暂无"})
    r = await post(system, report, "unit_system")
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["status"] == "opened" and body["primary"] is True
    assert body["missing_message"].startswith("缺少要素：") and "已采取措施" in body["missing_elements"]
    detail = await incident(system, body["incident_id"])
    stored = detail["reports"][0]["report"]
    assert stored["occurred_at"] == "2026-11-28T01:40:00Z"  # +08:00 stored as UTC
    assert stored["casualties"]["deaths"] == 3 and stored["casualties"]["injuries"] == 0
    assert detail["timeline"][0]["kind"] == "opened"


async def test_refusals_are_precise_and_what_was_sent_is_kept(system: System) -> None:
    headers = {**system.auth("duty_officer"), "Content-Type": "application/json"}
    cases = [
        (b"{not json", 400, "not_json", ""),
        (b"\xff\xfe{}", 400, "not_utf8", ""),
        (json.dumps(sample_report(area_code="999999")).encode(), 422, "unknown_area", "area_code"),
        (json.dumps(sample_report(area_code="110101")).encode(), 422, "area_outside_region", "area_code"),
        (json.dumps(sample_report(occurred_at="2099-01-01T00:00:00+08:00")).encode(), 422, "in_future", "occurred_at"),
        (json.dumps(sample_report(occurred_at="1969-12-31T00:00:00+08:00")).encode(), 422, "before_epoch",
         "occurred_at"),
        (json.dumps(sample_report(casualties={"deaths": "很多"})).encode(), 422, "invalid_field", "casualties.deaths"),
        (json.dumps({"pad": "x" * 300_000}).encode(), 413, "too_large", ""),
    ]
    for body, status, code, field in cases:
        r = await system.client.post("/api/v1/reports", content=body, headers=headers)
        assert r.status_code == status, (code, r.text)
        assert r.json()["code"] == code and r.json()["field"] == field and r.json()["message"]
    kept = (await system.client.get("/api/v1/reports/rejected?limit=50", headers=system.auth("duty_head"))).json()
    assert kept["total"] == len(cases)
    by_code = {item["code"]: item for item in kept["items"]}
    assert by_code["not_json"]["body_text"] == "{not json"
    assert by_code["not_utf8"]["body_base64"]  # bytes that are not text are kept as base64
    assert "999999" in by_code["unknown_area"]["body_text"]


async def test_bad_bus_report_is_parked_with_the_field(system: System) -> None:
    await publish_report(system, sample_report(report_id="B-1", area_code="999999"))

    async def parked() -> list:
        r = await system.client.get("/api/v1/parked", headers=system.auth("duty_officer"))
        return r.json()["items"]

    [item] = await eventually(parked)
    assert item["reason"] == "unknown_area" and "area_code" in item["error"] and "999999" in item["body_text"]


async def test_same_event_from_two_units_is_one_incident_earliest_primary(system: System) -> None:
    first = await post(system, sample_report(report_id="M-1", received_at="2026-11-28T09:55:00+08:00"))
    assert first.status_code == 201
    incident_id = first.json()["incident_id"]
    # arrives later but was received earlier by the environment bureau: it becomes the primary
    env = sample_report(**ENV_REPORT, received_at="2026-11-28T09:50:00+08:00",
                        casualties={"deaths": 5, "injuries": 8, "missing": 0, "trapped": 0})
    second = await post(system, env)
    body = second.json()
    assert body["status"] == "attached" and body["incident_id"] == incident_id and body["primary"] is True
    assert body["match"]["score"] >= 0.62 and "category" in body["match"]["features"]
    detail = await incident(system, incident_id)
    assert detail["primary_report"] == "nn-sthj/HB-77"
    assert [(r["id"], r["primary"]) for r in detail["reports"]] == [("nn-sthj/HB-77", True),
                                                                     ("wuming-yjj/M-1", False)]
    timeline = intake_entries(detail)
    assert [e["kind"] for e in timeline] == ["opened", "report_attached", "follow_up", "primary_changed"]
    attached = timeline[1]
    assert attached["score"] == body["match"]["score"] and attached["features"]
    assert detail["casualties"]["deaths"] == 5  # the follow-up raised the figure
    assert "死亡 3→5人" in timeline[2]["text"]
    listing = (await system.client.get("/api/v1/incidents", headers=system.auth("duty_officer"))).json()
    assert listing["total"] == 1


async def test_different_events_stay_apart_and_duplicates_are_counted(system: System) -> None:
    a = await post(system, sample_report(report_id="D-1"))
    again = await post(system, sample_report(report_id="D-1"))
    assert again.json()["status"] == "duplicate" and again.json()["incident_id"] == a.json()["incident_id"]
    other = sample_report(system="nn-traffic", unit="南宁市公安局交通警察支队", report_id="T-1", category="road_traffic",
                          area_code="450126", place="宾阳县黎塘镇G72高速", title="宾阳县G72高速发生追尾事故",
                          text="宾阳县黎塘镇路段两车追尾，1人受伤。", casualties={"deaths": 0, "injuries": 1})
    b = await post(system, other)
    assert b.json()["status"] == "opened" and b.json()["incident_id"] != a.json()["incident_id"]
    detail = await incident(system, a.json()["incident_id"])
    assert len(detail["reports"]) == 1 and detail["reports"][0]["duplicates"] == 1


async def test_officer_split_and_merge_are_kept_in_history(system: System) -> None:
    a = (await post(system, sample_report(report_id="S-1"))).json()
    b = (await post(system, sample_report(**ENV_REPORT))).json()
    assert a["incident_id"] == b["incident_id"]
    r = await system.client.post(f"/api/v1/incidents/{a['incident_id']}:split", headers=system.auth("duty_head"),
                                 json={"report_key": "nn-sthj/HB-77", "reason": "经核实为另一处泄漏"})
    assert r.status_code == 200, r.text
    new_id = r.json()["new_incident_id"]
    assert [x["id"] for x in (await incident(system, new_id))["reports"]] == ["nn-sthj/HB-77"]
    old = await incident(system, a["incident_id"])
    assert [x["id"] for x in old["reports"]] == ["wuming-yjj/S-1"] and intake_entries(old)[-1]["kind"] == "split"
    r = await system.client.post(f"/api/v1/incidents/{a['incident_id']}:merge", headers=system.auth("duty_officer"),
                                 json={"other_incident_id": new_id, "reason": "复核后确认为同一事件"})
    assert r.status_code == 200, r.text
    merged = await incident(system, a["incident_id"])
    assert {x["id"] for x in merged["reports"]} == {"wuming-yjj/S-1", "nn-sthj/HB-77"}
    assert intake_entries(merged)[-1]["kind"] == "merged" and "复核后确认为同一事件" in intake_entries(merged)[-1]["text"]
    gone = await incident(system, new_id)
    assert gone["status"] == "merged" and gone["merged_into"] == a["incident_id"]
    r = await system.client.post(f"/api/v1/incidents/{new_id}:merge", headers=system.auth("duty_officer"),
                                 json={"other_incident_id": a["incident_id"], "reason": "x"})
    assert r.status_code == 409


async def test_batch_gives_per_item_results_and_a_limit(system: System) -> None:
    items = [sample_report(report_id="BA-1"), {"source": {"system": "x"}}, sample_report(report_id="BA-1"), 7]
    r = await system.client.post("/api/v1/reports:batch", json={"reports": items}, headers=system.auth("duty_officer"))
    assert r.status_code == 200, r.text
    results = r.json()["results"]
    assert [x["status"] for x in results] == ["opened", "rejected", "duplicate", "rejected"]
    assert results[1]["field"] and results[3]["code"] == "not_object"
    too_many = {"reports": [sample_report(report_id=f"X{i}") for i in range(101)]}
    r = await system.client.post("/api/v1/reports:batch", json=too_many, headers=system.auth("duty_officer"))
    assert r.status_code == 413 and r.json()["code"] == "batch_too_large"


async def test_unit_system_cannot_speak_for_another_system(system: System) -> None:
    r = await post(system, sample_report(system="binyang-yjj", report_id="SP-1"), "unit_system")
    assert r.status_code == 403 and r.json()["code"] == "spoofed"


async def test_officer_entry_of_a_fax_keeps_the_scanned_original(system: System) -> None:
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
    form = {"report": json.dumps({"unit": "宾阳县人民政府办公室", "title": "宾阳县某村发生山体滑坡",
                                  "area_code": "450126", "category": "地质灾害"}, ensure_ascii=False),
            "channel": "fax", "callback_number": "0771-8221234"}
    r = await system.client.post("/api/v1/reports:officer", data=form, files={"original": ("fax.png", png, "image/png")},
                                 headers=system.auth("duty_officer"))
    assert r.status_code == 201, r.text
    detail = await incident(system, r.json()["incident_id"])
    [rep] = detail["reports"]
    assert rep["channel"] == "fax" and rep["callback_number"] == "0771-8221234"
    assert rep["recorded_by"]["id"] == "p-duty-1" and rep["report"]["contact"]["phone"] == "0771-8221234"
    original = await system.client.get(f"/api/v1/originals/{rep['original']}", headers=system.auth("duty_officer"))
    assert original.content == png and original.headers["content-type"] == "image/png"
    bad = await system.client.post("/api/v1/reports:officer", data=form,
                                   files={"original": ("fax.png", b"MZ\x90\x00exe", "image/png")},
                                   headers=system.auth("duty_officer"))
    assert bad.status_code == 415 and bad.json()["field"] == "original"
    missing = await system.client.post("/api/v1/reports:officer", data=form, headers=system.auth("duty_officer"))
    assert missing.status_code == 422 and missing.json()["field"] == "original"
    phone = await system.client.post("/api/v1/reports:officer", data={**form, "channel": "phone"},
                                     headers=system.auth("duty_officer"))
    assert phone.status_code == 201


async def test_cap_alert_from_a_real_authority_keeps_the_xml(system: System, shared_dir: Path) -> None:
    xml = (shared_dir / "data/cap/oasis12-a3-earthquake.xml").read_bytes()
    r = await system.client.post("/api/v1/reports:cap?system=eq-warning", content=xml,
                                 headers={**system.auth("duty_officer"), "Content-Type": "application/xml"})
    assert r.status_code == 201, r.text
    kept = await system.client.get(f"/api/v1/originals/{r.json()['original']}", headers=system.auth("duty_officer"))
    assert kept.content == xml
    bad = await system.client.post("/api/v1/reports:cap", content=b"<alert><unclosed>",
                                   headers={**system.auth("duty_officer"), "Content-Type": "application/xml"})
    assert bad.status_code in (400, 422) and bad.json()["code"]
    rejected = (await system.client.get("/api/v1/reports/rejected", headers=system.auth("duty_officer"))).json()
    assert rejected["items"][0]["body_text"] == "<alert><unclosed>"


async def test_public_opinion_is_recorded_and_linked_on_the_timeline(system: System) -> None:
    opened = (await post(system, sample_report(report_id="PO-1"))).json()
    item = {"source_url": "https://weibo.com/123/abc", "platform": "微博", "published_at": "2026-11-28T10:00:00+08:00",
            "summary": "网传武鸣区一化工厂爆炸", "reach": {"views": 12000, "reposts": 300}}
    r = await system.client.post("/api/v1/public-opinion", json=item, headers=system.auth("duty_officer"))
    assert r.status_code == 201, r.text
    item_id = r.json()["id"]
    bad = await system.client.post("/api/v1/public-opinion", json={**item, "source_url": "ftp://x"},
                                   headers=system.auth("duty_officer"))
    assert bad.status_code == 422 and bad.json()["field"] == "source_url"
    r = await system.client.post(f"/api/v1/public-opinion/{item_id}:link", json={"incident_id": opened["incident_id"]},
                                 headers=system.auth("duty_officer"))
    assert r.status_code == 200, r.text
    detail = await incident(system, opened["incident_id"])
    assert detail["public_opinion"][0]["id"] == item_id and intake_entries(detail)[-1]["kind"] == "public_opinion"
    listed = (await system.client.get(f"/api/v1/public-opinion?incident_id={opened['incident_id']}",
                                      headers=system.auth("leader"))).json()
    assert listed["total"] == 1


async def test_incident_list_filters_by_area_hierarchy_category_and_pages(system: System) -> None:
    await post(system, sample_report(report_id="F-1"))
    await post(system, sample_report(system="nn-traffic", unit="交警支队", report_id="F-2", category="road_traffic",
                                     area_code="450126", place="宾阳县黎塘镇", title="宾阳县发生交通事故",
                                     text="两车相撞", casualties={"deaths": 0, "injuries": 1}))
    h = system.auth("duty_officer")
    city = (await system.client.get("/api/v1/incidents?area_code=450100", headers=h)).json()
    assert city["total"] == 2
    county = (await system.client.get("/api/v1/incidents?area_code=450126", headers=h)).json()
    assert [i["area_code"] for i in county["items"]] == ["450126"]
    traffic = (await system.client.get("/api/v1/incidents?category=road_traffic&status=open", headers=h)).json()
    assert traffic["total"] == 1
    page = (await system.client.get("/api/v1/incidents?limit=1&skip=1", headers=h)).json()
    assert page["total"] == 2 and len(page["items"]) == 1
