"""The bulletin's structure follows NORMS §5 and carries the verified facts."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from services.escalation.domain.bulletin import BulletinError, BulletinFacts, compose, load_template

FACTS = BulletinFacts(
    incident_id="inc-1", issue_no=12, follow_up_no=0, signer="王某某",
    issued_at=datetime(2026, 11, 28, 3, 30, tzinfo=UTC), received_at=datetime(2026, 11, 28, 2, 5, tzinfo=UTC),
    source_unit="某县人民政府", received_via="phone", occurred_at=datetime(2026, 11, 28, 1, 40, tzinfo=UTC),
    place="某县某镇", event="一起道路交通事故", what_happened="一辆大客车与货车相撞。",
    deaths=3, injuries=12, economic_loss_cny=2_500_000, response="副市长赶赴现场指挥救援，伤员已送医。",
    trend="道路已恢复通行", next_steps="继续核实伤亡", requests="", to=("自治区人民政府总值班室",),
    send=("市政府领导",), cc=("市委值班室",), contact_name="张某", contact_phone="0771-0000000", copies=5,
)


@pytest.fixture(scope="module")
def template() -> dict[str, object]:
    return load_template()


def test_layout_follows_norms(template: dict[str, object]) -> None:
    b = compose(FACTS, template)
    assert b.masthead.name == "突发公共事件直报信息" and b.masthead.issue_line == "第12期"
    assert b.masthead.signer_line == "签发人：王某某" and b.masthead.date_line == "2026年11月28日11时30分"
    assert b.title == "某县某镇发生一起道路交通事故造成3人死亡、12人受伤"
    assert b.paragraphs[0].startswith("2026年11月28日10时05分，市人民政府值班室接某县人民政府电话报告：2026年11月28日9时40分")
    assert b.paragraphs[1] == "事件已造成3人死亡、12人受伤。直接经济损失约250万元。"
    assert b.paragraphs[2].startswith("事件发生后，副市长")
    assert b.paragraphs[3] == "目前，道路已恢复通行。下一步，继续核实伤亡。"
    assert b.paragraphs[-1] == "有关情况将及时续报。"
    assert b.distribution == [("报", "自治区人民政府总值班室"), ("送", "市政府领导"), ("抄送", "市委值班室")]
    assert b.copies == "（共印5份）" and "0771-0000000" in b.contact


def test_follow_up_and_final_naming(template: dict[str, object]) -> None:
    b = compose(replace(FACTS, follow_up_no=2), template)
    assert b.masthead.issue_line == "第12期（续报二）" and b.title.endswith("（续报二）")
    final = compose(replace(FACTS, is_final=True), template)
    assert final.title.endswith("（终报）") and final.paragraphs[-1] != "有关情况将及时续报。"


def test_unknown_and_zero_casualties(template: dict[str, object]) -> None:
    none = replace(FACTS, deaths=0, injuries=0, economic_loss_cny=None)
    assert compose(none, template).paragraphs[1] == "暂无人员伤亡报告。"
    unknown = replace(FACTS, deaths=None, injuries=None, economic_loss_cny=None)
    assert compose(unknown, template).paragraphs[1] == "人员伤亡情况不详。"


def test_signer_required(template: dict[str, object]) -> None:
    with pytest.raises(BulletinError, match="签发人"):
        compose(replace(FACTS, signer=" "), template)
