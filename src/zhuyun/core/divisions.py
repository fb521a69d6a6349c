"""GB/T 2260 administrative division codes, and Guiyang's real divisions down to communities.

The table in `core/data/guiyang_divisions.csv` (see its README for the source) is read once.
Codes have 6 digits down to the county level, 9 for streets and towns, 12 for village and
community committees.
"""

from __future__ import annotations

import csv
import re
from collections import defaultdict
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache
from importlib.resources import files

GUIYANG = "520100"
GUIZHOU = "520000"
_CODE = re.compile(r"^\d{6}(\d{3}(\d{3})?)?$")
# The first two digits of every GB/T 2260 code: the provincial-level divisions.
PROVINCE_PREFIXES = frozenset(
    str(n) for n in (*range(11, 16), *range(21, 24), *range(31, 38), *range(41, 47),
                     *range(50, 55), *range(61, 66), 71, 81, 82)
)  # fmt: skip


class DivisionLevel(StrEnum):
    """The levels of the region tree; the values match the identity module's unit kinds."""

    CITY = "city"
    DISTRICT = "district"
    STREET = "street"
    COMMUNITY = "community"


@dataclass(frozen=True)
class Division:
    code: str
    name: str
    level: DivisionLevel
    parent_code: str


@dataclass(frozen=True)
class _Table:
    by_code: dict[str, Division]
    children: dict[str, tuple[Division, ...]]


@lru_cache(maxsize=1)
def _table() -> _Table:
    text = files("zhuyun.core").joinpath("data/guiyang_divisions.csv").read_text("utf-8")
    by_code: dict[str, Division] = {}
    children: dict[str, list[Division]] = defaultdict(list)
    for row in csv.DictReader(text.splitlines()):
        division = Division(
            code=row["code"].strip(),
            name=row["name"].strip(),
            level=DivisionLevel(row["level"].strip()),
            parent_code=row["parent_code"].strip(),
        )
        by_code[division.code] = division
        children[division.parent_code].append(division)
    return _Table(
        by_code=by_code,
        children={
            code: tuple(sorted(kids, key=lambda d: d.code)) for code, kids in children.items()
        },
    )


def guiyang_division(code: str) -> Division:
    """The division of Guiyang with this code; KeyError when Guiyang has none."""
    return _table().by_code[code]


def children_of(code: str) -> tuple[Division, ...]:
    """The divisions directly below `code`, in code order (empty for a community)."""
    return _table().children.get(code, ())


def guiyang_divisions(level: DivisionLevel | None = None) -> list[Division]:
    """Every division of Guiyang, or those of one level, in code order."""
    return sorted(
        (d for d in _table().by_code.values() if level is None or d.level == level),
        key=lambda d: d.code,
    )


def district_of(code: str) -> str:
    """The 6-digit county-level code a street or community code lies in."""
    return code[:6]


def is_valid_division_code(code: str) -> bool:
    """A code of GB/T 2260's shape (6, 9 or 12 digits) in a real province.

    Not limited to the shipped table: divisions are created and merged every year, and an
    admin registers a new street before the statistics bureau's next edition lists it.
    """
    return bool(_CODE.match(code)) and code[:2] in PROVINCE_PREFIXES


def lies_within(code: str, parent_code: str) -> bool:
    """Whether division `code` lies inside `parent_code` (520102016 inside 520102, 520100)."""
    prefix = parent_code
    while len(prefix) > 2 and len(prefix) <= 6 and prefix.endswith("00"):
        prefix = prefix[:-2]
    return code != parent_code and code.startswith(prefix)
