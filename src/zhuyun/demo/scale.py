"""How big a demo city is: a test-sized one for the suite, a small one to look at, and one of
Guiyang's size for benchmarks."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from zhuyun.core.divisions import Division, children_of


class ScaleName(StrEnum):
    TEST = "test"
    SMALL = "small"
    CITY = "city"


@dataclass(frozen=True)
class Scale:
    """The sizes one scale builds. `None` for streets or communities means all of them."""

    name: ScaleName
    people: int
    enterprises: int
    streets_per_district: int | None
    communities_per_street: int | None
    city_departments: int
    departments_per_district: int
    organisations: int


_SCALES = {
    ScaleName.TEST: Scale(ScaleName.TEST, 2_000, 150, 2, 2, 16, 5, 24),
    ScaleName.SMALL: Scale(ScaleName.SMALL, 50_000, 3_000, None, None, 50, 20, 300),
    # Guiyang: 510 departments (50 municipal + 46 in each of 10 districts), 2,859 organisations.
    ScaleName.CITY: Scale(ScaleName.CITY, 1_000_000, 60_000, None, None, 50, 46, 2_859),
}


def get_scale(name: ScaleName | str) -> Scale:
    return _SCALES[ScaleName(name)]


def streets_in_scale(scale: Scale, district_code: str) -> tuple[Division, ...]:
    """The streets of a district this scale builds (the first few, or all)."""
    streets = children_of(district_code)
    limit = scale.streets_per_district
    return streets if limit is None else streets[:limit]


def communities_in_scale(scale: Scale, street_code: str) -> tuple[Division, ...]:
    """The communities of a street this scale builds (the first few, or all)."""
    communities = children_of(street_code)
    limit = scale.communities_per_street
    return communities if limit is None else communities[:limit]
