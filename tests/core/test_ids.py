"""Resident ID numbers (GB 11643) and unified social credit codes (GB 32100).

Published vectors:
- 11010519491231002X and 440524188001010014: the two worked examples in GB 11643-1999.
- 360426199101010071, 44011320141005001x: python-stdnum's tests/test_cn_ric.doctest.
- 9144030071526726XG (Tencent), 91110000600037341L and the other 91… codes below from
  信用中国 (creditchina.gov.cn), the 92… individual businesses and 121200004013590816: the
  "found online" list in python-stdnum's tests/test_cn_uscc.doctest (issue #207).
- 914403001922038216: Huawei Technologies, as given in its Wikipedia infobox.
- 91330100799655058B: Alibaba (China) Co., Ltd., widely cited in business-registry examples.
"""

from __future__ import annotations

import re
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from zhuyun.core.ids import (
    CREDIT_CODE_CHARSET,
    InvalidIdentifier,
    credit_code_check_char,
    is_valid_credit_code,
    is_valid_resident_id,
    make_credit_code,
    make_resident_id,
    organisation_code_check_char,
    parse_credit_code,
    parse_resident_id,
    resident_id_check_char,
)

GB_11643_EXAMPLE = "11010519491231002X"
GB_11643_EXAMPLE_1880 = "440524188001010014"
CHINESE = re.compile(r"[\u4e00-\u9fff]")


def _with_check_digit(body: str) -> str:
    return body + resident_id_check_char(body)


# --- resident ID numbers ------------------------------------------------------------------


def test_the_standards_own_example_is_accepted_and_read_into_its_parts() -> None:
    resident = parse_resident_id(GB_11643_EXAMPLE)
    assert resident.code == GB_11643_EXAMPLE
    assert resident.number == GB_11643_EXAMPLE
    assert resident.area_code == "110105"
    assert resident.birth_date == date(1949, 12, 31)
    assert resident.sequence == 2
    assert resident.sex == "female"
    assert is_valid_resident_id(GB_11643_EXAMPLE)


def test_the_standards_1880_example_is_refused_only_for_being_born_before_1900() -> None:
    assert resident_id_check_char(GB_11643_EXAMPLE_1880[:17]) == GB_11643_EXAMPLE_1880[17]
    with pytest.raises(InvalidIdentifier, match="before 1900"):
        parse_resident_id(GB_11643_EXAMPLE_1880)
    old = parse_resident_id(GB_11643_EXAMPLE_1880, earliest_birth=date(1850, 1, 1))
    assert old.birth_date == date(1880, 1, 1)
    assert old.sex == "male"


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("360426199101010071", "360426199101010071"),
        ("44011320141005001x", "44011320141005001X"),
        ("  11010519491231002x\n", GB_11643_EXAMPLE),
        ("\t11010519491231002X ", GB_11643_EXAMPLE),
    ],
)
def test_lower_case_x_and_surrounding_whitespace_are_accepted(raw: str, code: str) -> None:
    assert parse_resident_id(raw).code == code


def test_a_single_wrong_digit_is_rejected_in_every_position() -> None:
    for position, original in enumerate(GB_11643_EXAMPLE):
        alphabet = "0123456789X" if position == 17 else "0123456789"
        for replacement in alphabet:
            if replacement == original:
                continue
            changed = GB_11643_EXAMPLE[:position] + replacement + GB_11643_EXAMPLE[position + 1 :]
            assert not is_valid_resident_id(changed), changed


def test_two_swapped_neighbouring_digits_are_rejected() -> None:
    number = "360426199101010071"
    for position in range(17):
        a, b = number[position], number[position + 1]
        if a == b:
            continue
        swapped = number[:position] + b + a + number[position + 2 :]
        assert not is_valid_resident_id(swapped), swapped


def test_a_wrong_check_digit_reads_as_the_docs_show_in_both_languages() -> None:
    with pytest.raises(InvalidIdentifier) as caught:
        parse_resident_id("110105194912310021")
    assert caught.value.message_en == "resident ID check digit is wrong"
    assert caught.value.message_zh == "身份证号码校验码错误"
    assert isinstance(caught.value, ValueError)


@pytest.mark.parametrize(
    ("value", "english", "chinese"),
    [
        ("", "empty", "为空"),
        ("11010519491231002", "18 characters, not 17", "18位"),
        ("11010519491231002X1", "not 19", "19位"),
        ("110105491231002", "15-digit", "15位"),
        ("11010519491231002Y", "digit or X", "数字"),
        ("1101051949123100X2", "digit or X", "数字"),
        ("11O10519491231002X", "digit or X", "数字"),
    ],
)
def test_malformed_numbers_are_rejected_with_the_reason_in_both_languages(
    value: str, english: str, chinese: str
) -> None:
    with pytest.raises(InvalidIdentifier) as caught:
        parse_resident_id(value)
    assert english in caught.value.message_en
    assert chinese in caught.value.message_zh
    assert CHINESE.search(caught.value.message_zh)


@pytest.mark.parametrize("birth", ["19490231", "19491301", "19490000", "20230229"])
def test_a_birth_date_that_is_not_a_real_date_is_rejected(birth: str) -> None:
    number = _with_check_digit(f"110105{birth}002")
    with pytest.raises(InvalidIdentifier) as caught:
        parse_resident_id(number)
    assert birth in caught.value.message_en
    assert "出生日期" in caught.value.message_zh


def test_a_birth_date_in_the_future_is_rejected() -> None:
    number = _with_check_digit("520102203001010013"[:17])
    with pytest.raises(InvalidIdentifier) as caught:
        parse_resident_id(number, today=date(2026, 6, 1))
    assert "future" in caught.value.message_en
    assert is_valid_resident_id(number, today=date(2030, 1, 1))


def test_a_leap_day_birth_is_accepted() -> None:
    assert parse_resident_id(_with_check_digit("52010220000229001")).birth_date == date(2000, 2, 29)


@pytest.mark.parametrize("area", ["000000", "990426", "101010", "720000"])
def test_an_area_code_that_names_no_province_is_rejected(area: str) -> None:
    with pytest.raises(InvalidIdentifier) as caught:
        parse_resident_id(_with_check_digit(f"{area}19800101001"))
    assert "area code" in caught.value.message_en
    assert "地址码" in caught.value.message_zh


def test_an_area_code_newer_than_the_birth_year_is_accepted() -> None:
    # 观山湖区 (520115) was created in 2012; people born earlier carry its code after moving.
    assert is_valid_resident_id(_with_check_digit("52011519700101001"))


def test_residence_permits_and_the_foreigners_permanent_residence_id_are_accepted() -> None:
    assert is_valid_resident_id(_with_check_digit("81000019900101001"))  # Hong Kong resident
    foreigner = parse_resident_id(_with_check_digit("91184019900101001"))
    assert foreigner.is_foreign_permanent_resident
    assert not parse_resident_id(GB_11643_EXAMPLE).is_foreign_permanent_resident


def test_the_sex_follows_the_parity_of_the_seventeenth_digit() -> None:
    assert parse_resident_id(make_resident_id("520102", date(1990, 1, 1), 1)).sex == "male"
    assert parse_resident_id(make_resident_id("520102", date(1990, 1, 1), 2)).sex == "female"
    assert parse_resident_id(make_resident_id("520102", date(1990, 1, 1), 0)).sex == "female"


def test_age_counts_completed_years_on_the_given_day() -> None:
    resident = parse_resident_id(GB_11643_EXAMPLE)
    assert resident.age_on(date(2024, 12, 30)) == 74
    assert resident.age_on(date(2024, 12, 31)) == 75
    leap = parse_resident_id(make_resident_id("520102", date(2004, 2, 29), 11))
    assert leap.age_on(date(2022, 2, 28)) == 17
    assert leap.age_on(date(2022, 3, 1)) == 18


def test_is_valid_says_no_instead_of_raising() -> None:
    assert not is_valid_resident_id("")
    assert not is_valid_resident_id("   ")
    assert not is_valid_resident_id("not an id at all")


@given(
    province=st.sampled_from(["11", "31", "44", "52", "65", "81"]),
    rest=st.integers(0, 9999),
    birth=st.dates(min_value=date(1900, 1, 1), max_value=date.today()),
    sequence=st.integers(0, 999),
)
def test_a_made_resident_id_parses_back_to_what_it_was_made_from(
    province: str, rest: int, birth: date, sequence: int
) -> None:
    area = f"{province}{rest:04d}"
    number = make_resident_id(area, birth, sequence)
    resident = parse_resident_id(number)
    assert resident.code == number
    assert (resident.area_code, resident.birth_date, resident.sequence) == (area, birth, sequence)
    assert resident.sex == ("male" if sequence % 2 else "female")


@pytest.mark.parametrize(
    ("area", "birth", "sequence"),
    [
        ("52010", date(1990, 1, 1), 1),
        ("000000", date(1990, 1, 1), 1),
        ("520102", date(1990, 1, 1), 1000),
        ("520102", date(1990, 1, 1), -1),
        ("520102", date(1899, 12, 31), 1),
        ("520102", date(9999, 1, 1), 1),
    ],
)
def test_making_a_resident_id_from_impossible_parts_is_refused(
    area: str, birth: date, sequence: int
) -> None:
    with pytest.raises(ValueError):
        make_resident_id(area, birth, sequence)


# --- unified social credit codes -----------------------------------------------------------

PUBLISHED_CREDIT_CODES = [
    "9144030071526726XG",  # 腾讯科技（深圳）有限公司
    "914403001922038216",  # 华为技术有限公司
    "91330100799655058B",  # 阿里巴巴（中国）有限公司
    "91110000600037341L",  # 信用中国
    "913304007429141869",
    "9144060573144633XL",
    "91440300568520498A",
    "91310115MA1K3BTP2B",
    "91420684MA4927PJ7B",
    "121200004013590816",  # a public institution (机构编制, 事业单位)
]
PUBLISHED_INDIVIDUAL_BUSINESS_CODES = [
    "92340602MA2PBQAH7E",
    "92340602MA2PEL3T3X",
    "92340602MA2UK33127",
    "92340603MA2PBMCG0U",
]


@pytest.mark.parametrize("code", PUBLISHED_CREDIT_CODES + PUBLISHED_INDIVIDUAL_BUSINESS_CODES)
def test_published_credit_codes_are_accepted_even_when_strict(code: str) -> None:
    parsed = parse_credit_code(code, strict=True)
    assert parsed.code == code
    assert parsed.organisation_code_valid
    assert is_valid_credit_code(code)


def test_a_credit_code_is_split_into_authority_type_division_and_organisation_code() -> None:
    tencent = parse_credit_code("9144030071526726XG")
    assert tencent.registration_authority == "9"
    assert tencent.entity_type == "1"
    assert tencent.division_code == "440300"
    assert tencent.organisation_code == "71526726X"
    assert organisation_code_check_char("71526726") == "X"


def test_lower_case_and_surrounding_whitespace_are_accepted_in_a_credit_code() -> None:
    assert parse_credit_code("  9144030071526726xg\n").code == "9144030071526726XG"
    assert is_valid_credit_code("91330100799655058b")


def test_a_single_wrong_character_of_a_credit_code_is_rejected_in_every_position() -> None:
    code = "91330100799655058B"
    for position, original in enumerate(code):
        alphabet = "0123456789" if 2 <= position < 8 else CREDIT_CODE_CHARSET
        for replacement in alphabet:
            if replacement == original:
                continue
            changed = code[:position] + replacement + code[position + 1 :]
            assert not is_valid_credit_code(changed), changed


def test_a_wrong_check_character_is_named_in_both_languages() -> None:
    with pytest.raises(InvalidIdentifier) as caught:
        parse_credit_code("91330100799655058C")
    assert "check character" in caught.value.message_en
    assert caught.value.message_zh == "统一社会信用代码校验码错误"


@pytest.mark.parametrize(
    ("value", "english", "chinese"),
    [
        ("", "empty", "为空"),
        ("9144030071526726X", "18 characters, not 17", "18位"),
        ("9144030071526726XGG", "not 19", "19位"),
        ("9144030071526726IG", "without I, O, S, V, Z", "不使用"),
        ("91440300715267260O", "without I, O, S, V, Z", "不使用"),
        ("914403S071526726XG", "division code", "行政区划码"),
        ("9144030071526726X-", "without I, O, S, V, Z", "大写字母"),
    ],
)
def test_malformed_credit_codes_are_rejected_with_the_reason_in_both_languages(
    value: str, english: str, chinese: str
) -> None:
    with pytest.raises(InvalidIdentifier) as caught:
        parse_credit_code(value)
    assert english in caught.value.message_en
    assert chinese in caught.value.message_zh


def test_a_failing_inner_organisation_code_is_flagged_and_refused_only_when_strict() -> None:
    organisation = "71526726" + "1"  # Tencent's body with a wrong GB 11714 check digit
    body = "91440300" + organisation
    code = body + credit_code_check_char(body)
    parsed = parse_credit_code(code)
    assert not parsed.organisation_code_valid
    with pytest.raises(InvalidIdentifier) as caught:
        parse_credit_code(code, strict=True)
    assert "GB 11714" in caught.value.message_en
    assert "组织机构代码" in caught.value.message_zh
    assert is_valid_credit_code(code)
    assert not is_valid_credit_code(code, strict=True)


def test_a_credit_code_made_from_an_organisation_code_body_is_valid_and_keeps_it() -> None:
    code = make_credit_code("520115", "A1B2C3D4")
    parsed = parse_credit_code(code, strict=True)
    assert parsed.division_code == "520115"
    assert parsed.organisation_code.startswith("A1B2C3D4")
    assert (parsed.registration_authority, parsed.entity_type) == ("9", "1")
    assert make_credit_code("520115", "a1b2c3d4") == code


def test_an_individual_business_code_can_be_made() -> None:
    code = make_credit_code("520102", 42, entity_type="2")
    assert code.startswith("92520102MA")
    assert parse_credit_code(code, strict=True).entity_type == "2"


@given(
    division=st.from_regex(r"[1-6][0-9]{5}", fullmatch=True),
    serial=st.integers(0, 31**6 - 1),
    authority=st.sampled_from("159Y"),
    entity_type=st.sampled_from("123"),
)
def test_a_made_credit_code_is_valid_and_parses_back_to_its_parts(
    division: str, serial: int, authority: str, entity_type: str
) -> None:
    code = make_credit_code(division, serial, authority, entity_type)
    assert code == make_credit_code(division, serial, authority, entity_type)
    parsed = parse_credit_code(code, strict=True)
    assert parsed.code == code
    assert parsed.division_code == division
    assert parsed.registration_authority == authority
    assert parsed.entity_type == entity_type


@given(a=st.integers(0, 31**6 - 1), b=st.integers(0, 31**6 - 1))
def test_different_serials_make_different_credit_codes(a: int, b: int) -> None:
    assert (make_credit_code("520102", a) == make_credit_code("520102", b)) == (a == b)


def test_serials_next_to_each_other_make_distinct_codes_for_a_whole_demo_city() -> None:
    codes = {make_credit_code("520102", serial) for serial in range(5000)}
    assert len(codes) == 5000


@pytest.mark.parametrize(
    ("division", "serial", "authority", "entity_type"),
    [
        ("52010", 1, "9", "1"),
        ("52010A", 1, "9", "1"),
        ("520102", -1, "9", "1"),
        ("520102", 31**6, "9", "1"),
        ("520102", "A1B2C3", "9", "1"),
        ("520102", "A1B2C3DI", "9", "1"),
        ("520102", 1, "I", "1"),
        ("520102", 1, "9", "12"),
    ],
)
def test_making_a_credit_code_from_impossible_parts_is_refused(
    division: str, serial: int | str, authority: str, entity_type: str
) -> None:
    with pytest.raises(ValueError):
        make_credit_code(division, serial, authority, entity_type)
