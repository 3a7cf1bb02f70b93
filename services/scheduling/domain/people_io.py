"""People and groups to and from CSV/XLSX; a bad row is reported by number, the good rows are kept.

Input and output are text/bytes: the caller reads the upload and writes the download.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

from openpyxl import Workbook, load_workbook
from pydantic import BaseModel, ValidationError

from services.scheduling.domain.models import ROLE_LABELS, Group, GroupKind, Person, Role

PEOPLE_COLUMNS = ("编号", "姓名", "角色", "所属处室", "职务", "电话", "在职")
GROUP_COLUMNS = ("编号", "名称", "类型")
GROUP_KIND_LABELS = {GroupKind.SECTION: "处室", GroupKind.COORDINATION_BODY: "议事协调机构"}
_ROLE_BY_LABEL = {label: role for role, label in ROLE_LABELS.items()} | {r.value: r for r in Role}
_KIND_BY_LABEL = {label: kind for kind, label in GROUP_KIND_LABELS.items()} | {k.value: k for k in GroupKind}


class RowError(BaseModel):
    row: int  # as the spreadsheet shows it: the header is row 1
    message: str

    def __str__(self) -> str:
        return f"第{self.row}行：{self.message}"


class PeopleImport(BaseModel):
    people: list[Person]
    errors: list[RowError]


class GroupImport(BaseModel):
    groups: list[Group]
    errors: list[RowError]


def _csv_rows(text: str) -> list[list[str]]:
    return [list(r) for r in csv.reader(io.StringIO(text.lstrip("\ufeff")))]


def _xlsx_rows(data: bytes) -> list[list[str]]:
    sheet = load_workbook(io.BytesIO(data), read_only=True, data_only=True).worksheets[0]
    return [["" if v is None else str(v) for v in row] for row in sheet.iter_rows(values_only=True)]


def _records(rows: list[list[str]], columns: Sequence[str]) -> tuple[list[tuple[int, dict[str, str]]], list[RowError]]:
    if not rows:
        return [], [RowError(row=1, message="文件为空，缺少表头")]
    header = [h.strip() for h in rows[0]]
    missing = [c for c in columns[:2] if c not in header]
    if missing:
        return [], [RowError(row=1, message=f"表头缺少列：{'、'.join(missing)}（应为{'、'.join(columns)}）")]
    records = []
    for number, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue  # blank lines are not errors
        records.append((number, {h: (row[i].strip() if i < len(row) else "") for i, h in enumerate(header)}))
    return records, []


def _person(rec: dict[str, str], known_groups: set[str] | None) -> Person:
    problems = []
    if not rec.get("编号"):
        problems.append("编号为空")
    if not rec.get("姓名"):
        problems.append("姓名为空")
    labels = [x.strip() for x in rec.get("角色", "").replace("，", "、").replace(",", "、").split("、") if x.strip()]
    unknown = [x for x in labels if x not in _ROLE_BY_LABEL]
    if unknown:
        problems.append(f"角色“{'、'.join(unknown)}”无法识别（可用：{'、'.join(ROLE_LABELS.values())}）")
    group = rec.get("所属处室") or None
    if group and known_groups is not None and group not in known_groups:
        problems.append(f"所属处室“{group}”不在处室名单中")
    roles = frozenset(_ROLE_BY_LABEL[x] for x in labels if x in _ROLE_BY_LABEL)
    if Role.SECTION_STAFF in roles and not group:
        problems.append("处室工作人员须填写所属处室")
    active_text = rec.get("在职", "") or "是"
    if active_text not in {"是", "否"}:
        problems.append(f"“在职”应填“是”或“否”，不能是“{active_text}”")
    if problems:
        raise ValueError("；".join(problems))
    return Person(person_id=rec["编号"], name=rec["姓名"], roles=roles, group_id=group,
                  title=rec.get("职务", ""), phone=rec.get("电话", ""), active=active_text == "是")


def _import_people(rows: list[list[str]], known_groups: Iterable[str] | None) -> PeopleImport:
    records, errors = _records(rows, PEOPLE_COLUMNS)
    groups = set(known_groups) if known_groups is not None else None
    people: list[Person] = []
    seen: dict[str, int] = {}
    for number, rec in records:
        try:
            person = _person(rec, groups)
        except (ValueError, ValidationError) as exc:
            errors.append(RowError(row=number, message=str(exc)))
            continue
        if person.person_id in seen:
            errors.append(RowError(row=number, message=f"编号{person.person_id}与第{seen[person.person_id]}行重复"))
            continue
        seen[person.person_id] = number
        people.append(person)
    return PeopleImport(people=people, errors=errors)


def import_people_csv(text: str, known_groups: Iterable[str] | None = None) -> PeopleImport:
    return _import_people(_csv_rows(text), known_groups)


def import_people_xlsx(data: bytes, known_groups: Iterable[str] | None = None) -> PeopleImport:
    return _import_people(_xlsx_rows(data), known_groups)


def _import_groups(rows: list[list[str]]) -> GroupImport:
    records, errors = _records(rows, GROUP_COLUMNS)
    groups: list[Group] = []
    seen: set[str] = set()
    for number, rec in records:
        kind_text = rec.get("类型", "") or "处室"
        if not rec.get("编号") or not rec.get("名称"):
            errors.append(RowError(row=number, message="编号和名称都不能为空"))
        elif kind_text not in _KIND_BY_LABEL:
            errors.append(RowError(row=number, message=f"类型“{kind_text}”无法识别（应为处室或议事协调机构）"))
        elif rec["编号"] in seen:
            errors.append(RowError(row=number, message=f"编号{rec['编号']}重复"))
        else:
            seen.add(rec["编号"])
            groups.append(Group(group_id=rec["编号"], name=rec["名称"], kind=_KIND_BY_LABEL[kind_text]))
    return GroupImport(groups=groups, errors=errors)


def import_groups_csv(text: str) -> GroupImport:
    return _import_groups(_csv_rows(text))


def import_groups_xlsx(data: bytes) -> GroupImport:
    return _import_groups(_xlsx_rows(data))


def _people_rows(people: Sequence[Person]) -> list[list[str]]:
    order = list(Role)
    return [[p.person_id, p.name, "、".join(ROLE_LABELS[r] for r in sorted(p.roles, key=order.index)),
             p.group_id or "", p.title, p.phone, "是" if p.active else "否"] for p in people]


def _group_rows(groups: Sequence[Group]) -> list[list[str]]:
    return [[g.group_id, g.name, GROUP_KIND_LABELS[g.kind]] for g in groups]


def _to_csv(columns: Sequence[str], rows: list[list[str]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(columns)
    writer.writerows(rows)
    return "\ufeff" + out.getvalue()  # the BOM lets Excel open Chinese CSV correctly


def _to_xlsx(title: str, columns: Sequence[str], rows: list[list[str]]) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = title
    sheet.append(list(columns))
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def export_people_csv(people: Sequence[Person]) -> str:
    return _to_csv(PEOPLE_COLUMNS, _people_rows(people))


def export_people_xlsx(people: Sequence[Person]) -> bytes:
    return _to_xlsx("人员", PEOPLE_COLUMNS, _people_rows(people))


def export_groups_csv(groups: Sequence[Group]) -> str:
    return _to_csv(GROUP_COLUMNS, _group_rows(groups))


def export_groups_xlsx(groups: Sequence[Group]) -> bytes:
    return _to_xlsx("处室", GROUP_COLUMNS, _group_rows(groups))
