"""Guiyang's real divisions (GB/T 2260, statistics bureau 2023) and how codes nest."""

from __future__ import annotations

import pytest

from zhuyun.core.divisions import (
    GUIYANG,
    DivisionLevel,
    children_of,
    guiyang_division,
    guiyang_divisions,
    is_valid_division_code,
    lies_within,
)


def test_guiyang_has_10_districts_146_streets_and_1629_communities() -> None:
    counts = {level: len(guiyang_divisions(level)) for level in DivisionLevel}
    assert counts == {
        DivisionLevel.CITY: 1,
        DivisionLevel.DISTRICT: 10,
        DivisionLevel.STREET: 146,
        DivisionLevel.COMMUNITY: 1629,
    }


def test_real_codes_have_their_real_names() -> None:
    assert guiyang_division(GUIYANG).name == "贵阳市"
    assert guiyang_division("520115").name == "观山湖区"
    assert guiyang_division("520181").name == "清镇市"
    assert guiyang_division("520102016").name == "新华路街道"
    assert [d.name for d in children_of("520102016")][:2] == ["纪念塔社区", "新华路社区"]


def test_xiaohe_district_abolished_in_2012_is_not_a_district_of_today() -> None:
    with pytest.raises(KeyError):
        guiyang_division("520114")


def test_every_street_and_community_lies_within_its_parent() -> None:
    for division in guiyang_divisions():
        if division.level != DivisionLevel.CITY:
            assert lies_within(division.code, division.parent_code), division


@pytest.mark.parametrize(
    ("code", "parent", "inside"),
    [
        ("520102", "520100", True),
        ("520102", "520000", True),
        ("520102016", "520102", True),
        ("520102016001", "520102016", True),
        ("520302", "520100", False),  # Zunyi's Honghuagang, not Guiyang
        ("520103001", "520102", False),
        ("520100", "520100", False),
    ],
)
def test_lies_within_follows_the_code_hierarchy(code: str, parent: str, inside: bool) -> None:
    assert lies_within(code, parent) is inside


@pytest.mark.parametrize("code", ["520102", "520102999", "110105001001", "820000"])
def test_well_formed_codes_in_real_provinces_are_valid(code: str) -> None:
    assert is_valid_division_code(code)


@pytest.mark.parametrize("code", ["", "52010", "5201020", "52010201600", "990101", "52a102"])
def test_malformed_codes_and_unknown_provinces_are_invalid(code: str) -> None:
    assert not is_valid_division_code(code)
