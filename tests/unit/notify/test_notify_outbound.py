"""What one step sends when the caller asks for no acknowledgement (a written report): the message alone,
no ack code, no link, no keypress prompt; and the plan keeps to the requested channels."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from services.notify.domain.directory import ContactKind, Person, contact
from services.notify.domain.outbound import step_text
from services.notify.domain.templates import load_templates
from services.notify.service_steps import MessageView, plan_for
from shared.contracts.events import NotifyChannel
from shared.contracts.report import Classification

TEMPLATES = load_templates()
LINK = "http://127.0.0.1:8003/api/v1/notify/ack/TOKEN"
WRITTEN = MessageView("inc-1_w1_l-x", Classification.plain, "【值班信息·书面报告】某路段发生燃气泄漏",
                      "某路段发生燃气泄漏，无人员伤亡。此为书面报告，请阅示。")


@pytest.mark.parametrize("channel", list(NotifyChannel))
def test_no_ack_code_link_or_prompt_when_none_is_asked(channel: NotifyChannel) -> None:
    out = step_text(WRITTEN, channel, TEMPLATES, ack_code=None, ack_link="")
    assert "确认" not in out.text and "按1" not in out.text and "/ack/" not in out.text
    assert WRITTEN.body in out.text
    if channel not in (NotifyChannel.sms, NotifyChannel.phone):
        assert out.text == f"{WRITTEN.subject}\n{WRITTEN.body}"


@pytest.mark.parametrize(("channel", "asks"), [
    (NotifyChannel.sms, "回复K7Q2确认收到"), (NotifyChannel.phone, "确认收到请按1"),
    (NotifyChannel.fax, "请回复短信“K7Q2”"), (NotifyChannel.email, LINK)])
def test_with_a_code_each_channel_still_asks_for_the_acknowledgement(channel: NotifyChannel, asks: str) -> None:
    assert asks in step_text(WRITTEN, channel, TEMPLATES, ack_code="K7Q2", ack_link=LINK).text


def test_classified_without_ack_is_the_fixed_notice_alone() -> None:
    secret = MessageView("inc-2_w1_l-x", Classification.classified, "涉密事件", "某涉密单位泄密详情")
    out = step_text(secret, NotifyChannel.fax, TEMPLATES, ack_code=None, ack_link="")
    assert out.classified and "请通过机要渠道查收" in out.text
    assert "涉密" not in out.text.replace("机要", "") and "泄密" not in out.text and "确认" not in out.text


def test_plan_without_ack_keeps_to_the_requested_channels() -> None:
    person = Person("l-x", "测试领导", frozenset({"leader"}), (
        contact(ContactKind.mobile, "13812345678"),
        contact(ContactKind.fax, "0771-5550188"),
        contact(ContactKind.email, "leader@gov.cn")))
    at = datetime(2026, 11, 30, 10, 0, tzinfo=timezone(timedelta(hours=8)))
    asked = [NotifyChannel.fax, NotifyChannel.email]
    assert [p["channel"] for p in plan_for(person, asked, at, requested_only=True)] == ["fax", "email"]
    assert [p["channel"] for p in plan_for(person, asked, at)] == ["fax", "email", "phone", "sms"]
