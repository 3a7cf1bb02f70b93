from string import Template

import pytest

from services.notify.domain.sms import sms_parts
from services.notify.domain.templates import (
    FaxCover,
    IncidentAlert,
    TemplateError,
    casualties_text,
    fax_cover_lines,
    level_name,
    load_templates,
    render,
    render_incident,
)
from shared.contracts.events import Level
from shared.contracts.report import Casualties

TEMPLATES = load_templates()


def alert(**overrides) -> IncidentAlert:
    fields = dict(
        office="市政府办公室", title="某化工厂爆炸事故", level=Level.II, place="某区某镇",
        casualties=Casualties(deaths=3, injuries=12), ask="立即赶赴现场", ack_code="4827",
    )
    fields.update(overrides)
    return IncidentAlert(**fields)


def test_shipped_templates_are_all_loaded():
    assert {"incident_sms", "incident_voice", "incident_email", "notice_sms", "notice_reminder_sms",
            "fax_cover"} <= set(TEMPLATES)


def test_incident_sms_has_every_element_and_fits_one_part():
    text = render_incident(TEMPLATES, alert())
    for piece in ("市政府办公室", "重大", "某化工厂爆炸事故", "某区某镇", "死亡3人", "受伤12人", "立即赶赴现场", "4827"):
        assert piece in text
    assert "其他情况不详" in text
    assert len(sms_parts(text)) == 1


def test_voice_and_email_variants():
    voice = render_incident(TEMPLATES, alert(), channel="voice")
    assert "请按1" in voice and "失踪、被困、重伤情况不详" in voice
    email = render_incident(TEMPLATES, alert(ack_link="https://zb.example/ack/x"), channel="email")
    assert "级别：重大" in email and "https://zb.example/ack/x" in email


@pytest.mark.parametrize(
    ("level", "name"), [(Level.I, "特别重大"), (Level.II, "重大"), (Level.III, "较大"), (Level.IV, "一般"), (None, "（未定级）")]
)
def test_level_names(level, name):
    assert level_name(level) == name


def test_casualties_distinguish_unknown_from_none():
    assert casualties_text(None) == "人员伤亡情况不详"
    assert casualties_text(Casualties()) == "人员伤亡情况不详"
    zeros = Casualties(deaths=0, injuries=0, serious_injuries=0, missing=0, trapped=0)
    assert casualties_text(zeros) == "暂无人员伤亡"
    assert casualties_text(Casualties(deaths=0, injuries=0, serious_injuries=0, missing=2, trapped=0)) == "失踪2人"
    assert casualties_text(Casualties(deaths=1)) == "死亡1人，失踪、被困、重伤、受伤情况不详"
    assert casualties_text(Casualties(deaths=1), brief=True) == "死亡1人，其他情况不详"


def test_missing_field_is_an_error_not_a_half_filled_alert():
    with pytest.raises(TemplateError, match="缺少字段'place'"):
        render({"t": Template("${title}在${place}")}, "t", title="x")
    with pytest.raises(TemplateError, match="没有名为"):
        render(TEMPLATES, "nope")


def test_fax_cover():
    cover = FaxCover(
        masthead="某某市人民政府办公室", number="市府办传〔2026〕12号", urgency="特急", sender="市政府值班室",
        signed_by="李四", title="关于做好防汛工作的紧急通知", recipients=("甲县", "乙区"), pages=3, date="2026年11月28日",
    )
    lines = fax_cover_lines(TEMPLATES, cover)
    assert lines[0] == "某某市人民政府办公室"
    assert any("甲县、乙区" in line for line in lines)
    assert any("共3页（含本页）" in line for line in lines)
    with pytest.raises(TemplateError, match="传真等级"):
        FaxCover(**{**cover.__dict__, "urgency": "很急"})
    with pytest.raises(TemplateError, match="收电单位"):
        FaxCover(**{**cover.__dict__, "recipients": ()})
