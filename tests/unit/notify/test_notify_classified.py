from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.notify.domain.classified import (
    CLASSIFIED_NOTICE,
    InvalidRegisterNumber,
    classified_notice,
    reference_for,
    render_for_channel,
)
from shared.contracts.events import NotifyChannel, SendNotification
from shared.contracts.report import Classification

NOW = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)

cjk = st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF)
any_text = st.text(st.one_of(cjk, st.characters(codec="utf-8")), max_size=300)


def message(**overrides) -> SendNotification:
    fields = dict(
        notification_id="n-1", person_id="p-1", subject="关于某事项", body="正文", requested_at=NOW,
        classification=Classification.classified,
    )
    fields.update(overrides)
    return SendNotification(**fields)


classified_messages = st.builds(
    message,
    notification_id=st.text(min_size=1, max_size=128),
    person_id=st.text(min_size=1, max_size=64),
    subject=st.text(max_size=200),
    body=any_text,
    requested_by=st.sampled_from(["escalation", "intake", "scheduling", "console", "某县系统"]),
    channels=st.lists(st.sampled_from(list(NotifyChannel)), max_size=5),
)


def _everything(out) -> str:
    return f"{out.subject}\n{out.body}\n{out.reference}"


@settings(max_examples=300)
@given(classified_messages, st.sampled_from(list(NotifyChannel)))
def test_classified_output_carries_no_piece_of_the_content(msg, channel):
    out = render_for_channel(msg, channel)
    text = _everything(out)
    assert out.classified and CLASSIFIED_NOTICE in out.body
    # The fixed parts of the output (notice, subject, reference) for this message id, whatever the content.
    skeleton = _everything(render_for_channel(message(notification_id=msg.notification_id, body="", subject=""), channel))
    for content in (msg.body, msg.subject):
        for i in range(len(content) - 1):
            for j in range(i + 2, len(content) + 1):
                piece = content[i:j]
                if piece in skeleton:
                    continue
                assert piece not in text, f"leaked {piece!r}"


@given(classified_messages, any_text, st.text(max_size=200), st.sampled_from(list(NotifyChannel)))
def test_classified_output_does_not_depend_on_content(msg, other_body, other_subject, channel):
    changed = msg.model_copy(update={"body": other_body, "subject": other_subject})
    assert render_for_channel(msg, channel) == render_for_channel(changed, channel)


def test_every_channel_gets_the_notice():
    secret = "绝密内容：某地某部队调动情况"
    for channel in NotifyChannel:
        out = render_for_channel(message(body=secret, subject="某部队调动"), channel)
        assert CLASSIFIED_NOTICE in out.body
        assert "部队" not in _everything(out)


def test_voice_reads_the_reference_digit_by_digit():
    out = classified_notice(NotifyChannel.phone, "JY-12AB")
    assert "J，Y，1，2，A，B" in out.body


def test_plain_message_marked_secret_fails_closed():
    out = render_for_channel(message(classification=Classification.plain, body="机密★1年 某某文件"), NotifyChannel.sms)
    assert out.classified and "文件" not in out.body


def test_plain_message_goes_out_as_written():
    out = render_for_channel(message(classification=Classification.plain, body="请于九时到会"), NotifyChannel.sms)
    assert not out.classified and out.body == "【关于某事项】请于九时到会"
    email = render_for_channel(message(classification=Classification.plain, body="请于九时到会"), NotifyChannel.email)
    assert email.subject == "关于某事项" and email.body == "请于九时到会"


def test_register_number_must_be_a_code_not_text():
    msg = message()
    assert reference_for(msg, "MJ-2026-0012") == "MJ-2026-0012"
    with pytest.raises(InvalidRegisterNumber):
        reference_for(msg, "某部队调动")
    assert reference_for(msg).startswith("JY-") and reference_for(msg) == reference_for(message(body="另一正文"))


@pytest.mark.parametrize("body", ["机密 ★ 1年 某某文件", "【密件】某某文件", "绝密★长期"])
def test_markings_survive_spacing_and_width(body):
    out = render_for_channel(message(classification=Classification.plain, body=body), NotifyChannel.email)
    assert out.classified


def test_raw_string_classification_is_still_classified():
    class Loose:
        notification_id = "n-9"
        classification = "classified"
        subject = "某事"
        body = "不能外传的内容"

    out = render_for_channel(Loose(), NotifyChannel.sms)  # type: ignore[arg-type]
    assert out.classified and "外传" not in out.body
