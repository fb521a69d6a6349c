"""Reading a Chinese address down to its community, by the names of Guiyang's divisions.

An address such as 贵州省贵阳市南明区新华路街道新华路社区遵义路12号3栋 names its district,
street and community; each is found by matching the division names of the shipped table
(`core/data`), the street among the district's, the community among the street's — 103
community names occur in more than one street, so the street usually decides. A community
is also found by its short name (新华路社区居委会 → 新华路社区). Nothing is geocoded: the
rest of the address (the road and house number) is returned as is.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from zhuyun.core.divisions import (
    GUIYANG,
    Division,
    DivisionLevel,
    children_of,
    guiyang_division,
    guiyang_divisions,
)

_COMMITTEE_SUFFIXES = ("村民委员会", "居民委员会", "村委会", "居委会")
_SPACES = re.compile(r"\s+")


class AddressProblem(ValueError):
    """The address could not be placed; says what was and was not found, in both languages."""

    def __init__(self, message_en: str, message_zh: str, code: str) -> None:
        super().__init__(message_en)
        self.message_en = message_en
        self.message_zh = message_zh
        self.code = code


@dataclass(frozen=True)
class ParsedAddress:
    district: Division
    street: Division
    community: Division
    rest: str  # what follows the community's name: road, number, building


def _aliases(name: str) -> tuple[str, ...]:
    for suffix in _COMMITTEE_SUFFIXES:
        if name.endswith(suffix) and len(name) - len(suffix) >= 2:
            return (name, name[: -len(suffix)])
    return (name,)


@lru_cache(maxsize=1)
def _all_streets() -> tuple[Division, ...]:
    return tuple(guiyang_divisions(DivisionLevel.STREET))


@lru_cache(maxsize=1)
def _all_communities() -> tuple[Division, ...]:
    return tuple(guiyang_divisions(DivisionLevel.COMMUNITY))


def _found(text: str, candidates: tuple[Division, ...], start: int) -> list[tuple[Division, int]]:
    """Candidates whose name (or short name) occurs at or after `start`: (division, end)."""
    hits: list[tuple[Division, int]] = []
    for division in candidates:
        best_end = -1
        for alias in _aliases(division.name):
            at = text.find(alias, start)
            if at >= 0:
                best_end = max(best_end, at + len(alias))
        if best_end >= 0:
            hits.append((division, best_end))
    return hits


def _longest(hits: list[tuple[Division, int]]) -> list[tuple[Division, int]]:
    """Of overlapping matches keep those that reach furthest (新华路社区 over 新华)."""
    if not hits:
        return hits
    furthest = max(end for _, end in hits)
    return [(d, e) for d, e in hits if e == furthest]


def parse_address(text: str) -> ParsedAddress:
    """District, street and community of a Guiyang address; AddressProblem otherwise."""
    text = _SPACES.sub("", text)
    if not text:
        raise AddressProblem("The address is empty.", "地址为空。", "address-empty")
    districts = _longest(_found(text, children_of(GUIYANG), 0))
    district = districts[0][0] if len(districts) == 1 else None
    start = districts[0][1] if len(districts) == 1 else 0
    street_pool = children_of(district.code) if district else _all_streets()
    streets = _longest(_found(text, street_pool, start))
    street = streets[0][0] if len(streets) == 1 else None
    if street is not None:
        start = streets[0][1]
        community_pool = children_of(street.code)
    elif district is not None:
        community_pool = tuple(c for s in children_of(district.code) for c in children_of(s.code))
    else:
        community_pool = _all_communities()
    communities = _longest(_found(text, community_pool, start))
    if not communities:
        named = "".join(d.name for d in (district, street) if d is not None)
        if named:
            raise AddressProblem(
                f"The address names {named} but none of its communities or villages.",
                f"地址中有“{named}”，但未找到其下属的社区或村。",
                "community-not-found",
            )
        raise AddressProblem(
            "No district, street or community of Guiyang was found in the address: "
            "it is outside the city or not written with the divisions' names.",
            "地址中未找到贵阳市的区（县）、街道（乡镇）或社区（村），"
            "地址可能不在本市，或未使用规范的行政区划名称。",
            "address-outside-city",
        )
    if len(communities) > 1:
        names = "、".join(
            f"{c.name}（{_street_name(c)}）"
            for c, _ in sorted(communities, key=lambda h: h[0].code)
        )
        raise AddressProblem(
            f"The address fits {len(communities)} communities; name the street too.",
            f"地址可对应多个社区：{names}，请写明街道（乡镇）。",
            "address-ambiguous",
        )
    community, end = communities[0]
    street_division = street or _parent(community)
    return ParsedAddress(
        district=district or _parent(street_division),
        street=street_division,
        community=community,
        rest=text[end:],
    )


def _parent(division: Division) -> Division:
    return guiyang_division(division.parent_code)


def _street_name(community: Division) -> str:
    return _parent(community).name
