from __future__ import annotations

import io

from openpyxl import Workbook

from services.scheduling.domain.models import Group, GroupKind, Role
from services.scheduling.domain.people_io import (
    export_groups_csv,
    export_groups_xlsx,
    export_people_csv,
    export_people_xlsx,
    import_groups_csv,
    import_groups_xlsx,
    import_people_csv,
    import_people_xlsx,
)

PEOPLE_CSV = """编号,姓名,角色,所属处室,职务,电话,在职
o01,陈一,值班员,,科员,13800000001,是
,无名,值班员,,,,
h01,周二,值班室负责人、值班员,,主任,,是
s01,吴三,处室工作人员,sec9,,,
l01,郑四,带班领导,,副秘书长,,是
o01,重复,值班员,,,,
x01,王五,保安,,,,
s02,冯六,处室工作人员,,,,是

o09,卫七,值班员,,,,也许
"""


def test_csv_import_keeps_valid_rows_and_numbers_errors() -> None:
    result = import_people_csv(PEOPLE_CSV, known_groups=["sec1"])
    assert [p.person_id for p in result.people] == ["o01", "h01", "l01"]
    assert result.people[1].roles == frozenset({Role.DUTY_HEAD, Role.DUTY_OFFICER})
    messages = [str(e) for e in result.errors]
    assert messages == [
        "第3行：编号为空",
        "第5行：所属处室“sec9”不在处室名单中",
        "第7行：编号o01与第2行重复",
        "第8行：角色“保安”无法识别（可用：值班员、值班室负责人、带班领导、市领导、处室工作人员）",
        "第9行：处室工作人员须填写所属处室",
        "第11行：“在职”应填“是”或“否”，不能是“也许”",
    ]


def test_missing_header_is_reported_on_row_one() -> None:
    result = import_people_csv("id,name\n1,2\n")
    assert result.people == [] and str(result.errors[0]).startswith("第1行：表头缺少列：编号、姓名")


def test_people_roundtrip_csv_and_xlsx() -> None:
    people = import_people_csv(PEOPLE_CSV).people
    again = import_people_csv(export_people_csv(people))
    assert again.errors == [] and again.people == people
    from_xlsx = import_people_xlsx(export_people_xlsx(people))
    assert from_xlsx.errors == [] and from_xlsx.people == people


def test_xlsx_import_reports_row_numbers() -> None:
    book = Workbook()
    sheet = book.active
    sheet.append(["编号", "名称", "类型"])
    sheet.append(["sec1", "综合处", "处室"])
    sheet.append(["sec2", "应急委", "委员会"])
    sheet.append(["cb1", "防汛指挥部", "议事协调机构"])
    buf = io.BytesIO()
    book.save(buf)
    result = import_groups_xlsx(buf.getvalue())
    assert [g.group_id for g in result.groups] == ["sec1", "cb1"]
    assert result.groups[1].kind is GroupKind.COORDINATION_BODY
    assert [str(e) for e in result.errors] == ["第3行：类型“委员会”无法识别（应为处室或议事协调机构）"]


def test_groups_roundtrip() -> None:
    groups = [Group(group_id="sec1", name="综合处"), Group(group_id="cb1", name="防汛指挥部",
                                                         kind=GroupKind.COORDINATION_BODY)]
    assert import_groups_csv(export_groups_csv(groups)).groups == groups
    assert import_groups_xlsx(export_groups_xlsx(groups)).groups == groups
