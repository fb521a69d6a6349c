"""Entity resolution on hand-made records: which pairs must match, which must not, and why."""

from __future__ import annotations

from datetime import date

import pytest

from zhuyun.blocks.resolution.engine import resolve_enterprises, resolve_people
from zhuyun.blocks.resolution.normalise import place_of
from zhuyun.blocks.resolution.records import (
    EnterpriseRecord,
    PersonRecord,
    prepare_person,
)
from zhuyun.blocks.resolution.service import compare_enterprises, compare_people
from zhuyun.core.ids import make_credit_code, make_resident_id

ID = make_resident_id("520102", date(1990, 3, 14), 11)  # 520102199003140115
TWIN_ID = make_resident_id("520102", date(1990, 3, 14), 13)  # the twin brother
ADDRESS = "贵州省贵阳市南明区新华路街道新华路社区遵义路12号3栋2单元501室"


def person(record_id: str, **fields: str | None) -> PersonRecord:
    values: dict[str, str | None] = {
        "name": "张伟明",
        "id_number": ID,
        "birth_date": "1990-03-14",
        "sex": "男",
        "address": ADDRESS,
    }
    values.update(fields)
    name = values.pop("name") or ""
    return PersonRecord(record_id, "test", name, **values)


def test_an_id_with_a_wrong_check_digit_is_evidence_not_a_key() -> None:
    wrong = ID[:17] + ("0" if ID[17] != "0" else "1")
    prepared = prepare_person(person("a", id_number=wrong))
    assert prepared.key is None
    assert prepared.id_text == wrong
    assert prepare_person(person("b")).key == ID


@pytest.mark.parametrize(
    "variant",
    [
        "贵阳市南明区新华路街道新华路社区遵义路12号",
        "南明区新华路社区遵义路１２号３栋",  # no city, no street, full-width digits
        "贵州省 贵阳市 南明区 新华路街道 新华路社区居民委员会 遵义路99号",
    ],
)
def test_address_variants_are_placed_in_the_same_community(variant: str) -> None:
    assert place_of(variant).community == place_of(ADDRESS).community == "520102016002"


def test_an_address_without_its_community_still_gives_its_district() -> None:
    place = place_of("南明区某某路8号")
    assert place.district == "520102" and place.community == ""


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"name": "章伟明", "id_number": None}, "姓名同音"),  # homophone, no ID
        ({"name": "张伟名", "id_number": None}, "姓名同音"),  # 明/名: both ming
        ({"name": "张伟民", "id_number": None}, "读音相近"),  # ming/min
        ({"name": "张伟朋", "id_number": "520102199003410115"}, "颠倒"),  # typo + swapped ID
        ({"id_number": "520102199030140115"}, "颠倒"),  # 0314 → 3014: two digits swapped
        ({"id_number": ID[:17] + "X"}, "仅校验位不同"),
        ({"id_number": None, "address": "南明区新华路社区遵义路１２号"}, "同一社区"),
        ({"birth_date": "1990-03-41", "id_number": None}, "出生日期一位不同或两位颠倒"),
    ],
)
def test_must_match(changes: dict[str, str | None], reason: str) -> None:
    verdict = compare_people(person("a"), person("b", **changes))
    assert verdict.is_match, verdict.explain()
    assert verdict.decided_by == "score"
    assert reason in verdict.explain()


def test_same_valid_id_matches_by_key_whatever_the_name() -> None:
    verdict = compare_people(person("a"), person("b", name="张卫明", address="花溪区"))
    assert verdict.is_match and verdict.decided_by == "same-key"


@pytest.mark.parametrize(
    ("left", "right"),
    [
        # twins: same birth date, address and surname, different valid IDs
        ({}, {"name": "张伟亮", "id_number": TWIN_ID}),
        # the twin again, but one record has no ID: the names differ in the given name
        ({}, {"name": "张伟亮", "id_number": None}),
        # the wife at the same address, no ID
        ({}, {"name": "李秀英", "id_number": None, "birth_date": "1991-07-02", "sex": "女"}),
        # the son at the same address, no ID
        ({}, {"name": "张子轩", "id_number": None, "birth_date": "2016-05-20"}),
        # a namesake born the same day in another district, no ID
        ({}, {"id_number": None, "address": "贵阳市花溪区清溪路8号"}),
        # an invalid ID one sequence digit away from a neighbour born the same day
        ({"name": "黄想", "id_number": TWIN_ID[:17] + "0"}, {"name": "许峰林"}),
    ],
)
def test_must_not_match(left: dict[str, str | None], right: dict[str, str | None]) -> None:
    verdict = compare_people(person("a", **left), person("b", **right))
    assert not verdict.is_match, verdict.explain()


def test_twins_stay_apart_even_when_a_keyless_record_looks_like_both() -> None:
    """A record without an ID that fits both twins joins one, never merges the two."""
    records = [
        person("police-1"),
        person("police-2", name="张伟民", id_number=TWIN_ID),  # the twin: 伟民 sounds like 伟明
        person("clinic-1", name="张伟明", id_number=None),
    ]
    resolution = resolve_people(records)
    cluster = resolution.cluster_of()
    assert cluster["police-1"] != cluster["police-2"]
    assert cluster["clinic-1"] == cluster["police-1"]  # the exact name wins over the homophone
    assert resolution.rejected_merges == 1


def test_clusters_gather_every_copy_and_explain_each_fuzzy_link() -> None:
    records = [
        person("gongan-1"),
        person("rsj-1", name="章伟明", id_number=None, address="南明区新华路社区遵义路12号"),
        person("ybj-1", id_number=ID[:17] + "X"),
        person(
            "gongan-2",
            name="李秀英",
            id_number=make_resident_id("520103", date(1988, 1, 2), 2),
            birth_date="1988-01-02",
            sex="女",
            address="贵阳市云岩区",
        ),
    ]
    resolution = resolve_people(records)
    clusters = sorted(sorted(c) for c in resolution.clusters)
    assert clusters == [["gongan-1", "rsj-1", "ybj-1"], ["gongan-2"]]
    assert resolution.keyless == 2
    assert {(m.left, m.right) for m in resolution.matches} <= {
        ("gongan-1", "rsj-1"),
        ("gongan-1", "ybj-1"),
        ("rsj-1", "ybj-1"),
    }
    for match in resolution.matches:
        assert match.score.total == sum(p.weight for p in match.score.parts)
        assert "≥" in match.score.explain()


def test_blocking_compares_keyless_records_only_with_their_blocks() -> None:
    """1,000 keyed people and one keyless record: a handful of pairs, not a thousand."""
    records = [
        person(
            f"p{n}",
            name=f"王{chr(0x4E00 + n)}",
            id_number=make_resident_id("520103", date(1950, 1, 1).replace(year=1950 + n % 50), n),
            birth_date=date(1950 + n % 50, 1, 1).isoformat(),
        )
        for n in range(1_000)
    ]
    records.append(
        person("lost", name="王" + chr(0x4E00 + 7), id_number=None, birth_date="1957-01-01")
    )
    resolution = resolve_people(records)
    assert resolution.pairs_compared < 50
    assert resolution.cluster_of()["lost"] == resolution.cluster_of()["p7"]


ENTERPRISE_CODE = make_credit_code("520102", 12345)


@pytest.mark.parametrize(
    ("right", "expected", "decided_by"),
    [
        (EnterpriseRecord("b", "t", "贵阳筑城餐饮管理有限公司", ENTERPRISE_CODE), True, "same-key"),
        (
            EnterpriseRecord("b", "t", "筑城餐饮管理有限责任公司", None, "南明区新华路社区"),
            True,
            "score",
        ),
        (
            EnterpriseRecord("b", "t", "贵阳筑城餐饮管理有限公司", ENTERPRISE_CODE[:17] + "0"),
            True,
            "score",
        ),
        (
            EnterpriseRecord("b", "t", "贵阳黔灵物流有限公司", None, "南明区新华路社区"),
            False,
            "score",
        ),
        (
            EnterpriseRecord("b", "t", "贵阳筑城餐饮管理有限公司", make_credit_code("520102", 777)),
            False,
            "different-keys",
        ),
    ],
)
def test_enterprises_match_by_credit_code_or_by_name_and_place(
    right: EnterpriseRecord, expected: bool, decided_by: str
) -> None:
    left = EnterpriseRecord(
        "a", "t", "贵阳筑城餐饮管理有限公司", ENTERPRISE_CODE, "贵阳市南明区新华路街道新华路社区"
    )
    verdict = compare_enterprises(left, right)
    assert (verdict.is_match, verdict.decided_by) == (expected, decided_by), verdict.explain()


def test_enterprise_clusters_follow_codes_and_fuzzy_names() -> None:
    records = [
        EnterpriseRecord(
            "scjg-1",
            "scjg",
            "贵阳筑城餐饮管理有限公司",
            ENTERPRISE_CODE,
            "南明区新华路街道新华路社区",
        ),
        EnterpriseRecord(
            "sw-1", "sw", "筑城餐饮管理有限公司", ENTERPRISE_CODE[:17] + "0", "南明区新华路社区"
        ),
        EnterpriseRecord(
            "scjg-2", "scjg", "贵阳黔灵物流有限公司", make_credit_code("520103", 9), "云岩区"
        ),
    ]
    clusters = sorted(sorted(c) for c in resolve_enterprises(records).clusters)
    assert clusters == [["scjg-1", "sw-1"], ["scjg-2"]]
