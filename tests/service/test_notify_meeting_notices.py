"""R-25 notices through the API: drafted, approved by an office leader (not the drafter), sent through
the normal send path, receipts by SMS reply and by the API, reminders to the silent, organiser summary."""

from __future__ import annotations

from datetime import timedelta

from tests.service.test_notify_delivery import SECRET, START, Notify, notify  # noqa: F401 - fixture

DRAFT = {"id": "mtg-1", "title": "防汛工作会议", "body": "研究部署防汛工作。", "place": "市政府3楼会议室",
         "when": (START + timedelta(days=1)).isoformat(), "recipients": ["p-duty-2", "p-duty-3", "p-duty-4"],
         "organiser_id": "p-head"}


async def test_notice_approved_sent_answered_reminded_and_summarised(notify: Notify) -> None:  # noqa: F811
    c, officer, head = notify.client, notify.auth("duty_officer"), notify.auth("duty_head")
    assert (await c.post("/api/v1/notices", json=DRAFT, headers=officer)).status_code == 200
    assert (await c.post("/api/v1/notices/mtg-1/send", headers=officer)).status_code == 409  # not approved
    assert (await c.post("/api/v1/notices/mtg-1/submit", headers=officer)).status_code == 200
    r = await c.post("/api/v1/notices/mtg-1/decision", json={"approve": True}, headers=officer)
    assert r.status_code == 403  # a duty officer is not an office leader
    r = await c.post("/api/v1/notices/mtg-1/decision", json={"approve": True}, headers=head)
    assert r.json()["approval"] == "approved"
    r = await c.post("/api/v1/notices/mtg-1/send", headers=officer)
    assert r.json()["approval"] == "sent"
    texts = [m.text for m in notify.gw.sent]
    assert len(texts) == 3 and all("防汛工作会议" in t and "回复1参加" in t for t in texts)

    r = await c.get("/api/v1/notify/mo", params={"gw": "kannel", "secret": SECRET, "from": "13807710012",
                                                 "text": "1"})
    assert r.json() == {"outcome": "notice_attending"}
    r = await c.post("/api/v1/notices/mtg-1/receipts", headers=officer,
                     json={"person_id": "p-duty-3", "answer": "not_attending", "reason": "出差"})
    assert r.status_code == 200

    notify.clock.advance(timedelta(hours=1, minutes=1))
    await notify.events.run_due()
    reminders = [m for m in notify.gw.sent if m.notification_id.endswith("_r1")]
    assert [m.notification_id for m in reminders] == ["notice_mtg-1_p-duty-4_r1"]
    assert "尚未收到您的回复" in reminders[0].text

    s = (await c.get("/api/v1/notices/mtg-1/summary", headers=officer)).json()
    assert s["attending"] == ["p-duty-2"] and s["silent"] == ["p-duty-4"]
    assert "不参加：张伟（出差）" in s["text"]
