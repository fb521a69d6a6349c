"""Masking personal data for display: what a reader sees of names, phones, IDs and addresses."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from zhuyun.core.masking import MaskKind, mask, mask_id_number


@pytest.mark.parametrize(
    ("name", "masked"),
    [
        ("段正淳", "段**"),
        ("欧阳娜娜", "欧***"),
        ("张三", "张*"),
        ("张", "*"),
        ("买买提·艾力", "买*****"),
    ],
)
def test_a_name_keeps_only_its_first_character(name: str, masked: str) -> None:
    assert mask("name", name) == masked


@pytest.mark.parametrize(
    ("phone", "masked"),
    [
        ("18049531999", "180****1999"),
        ("+86 180 4953 1999", "+86 180 **** 1999"),
        ("8618049531999", "86180****1999"),
        ("0851-86812345", "0851-****2345"),
        ("085186812345", "0851****2345"),
        ("010-12345678", "010-****5678"),
        ("(020) 8765 4321", "(020) **** 4321"),
        ("400-123-4567", "400-***-4567"),
        ("86812345", "****2345"),
    ],
)
def test_a_phone_number_keeps_its_network_or_area_prefix_and_last_four_digits(
    phone: str, masked: str
) -> None:
    assert mask(MaskKind.PHONE, phone) == masked


def test_a_resident_id_keeps_its_first_character_and_last_two_by_default() -> None:
    assert mask("id_number", "11010519491231002X") == "1***************2X"
    assert mask_id_number("11010519491231002X") == "1***************2X"


def test_how_much_of_an_id_number_stays_visible_is_configurable() -> None:
    assert mask("id_number", "11010519491231002X", keep_start=6, keep_end=4) == (
        "110105********002X"
    )
    assert mask_id_number("11010519491231002X", keep_start=0, keep_end=4) == "**************002X"


@pytest.mark.parametrize(
    ("address", "masked"),
    [
        ("贵州省贵阳市云岩区中华北路123号", "贵州省贵阳市云岩区********"),
        ("贵州省贵阳市南明区花果园街道彭家湾5栋", "贵州省贵阳市南明区花果园街道*****"),
        ("贵阳市云岩区新华路街道新华社区", "贵阳市云岩区新华路街道****"),
        ("北京市东城区东华门街道", "北京市东城区东华门街道"),
        ("贵州省遵义市道真仡佬族苗族自治县玉溪镇", "贵州省遵义市道真仡佬族苗族自治县玉溪镇"),
        ("贵阳市云岩区北京路贵阳市第一人民医院", "贵阳市云岩区************"),
        ("贵阳市云岩区中华北路阳光小区", "贵阳市云岩区********"),
        ("贵阳市观山湖区农贸市场3号", "贵阳市观山湖区******"),
        ("中华北路123号", "********"),
    ],
)
def test_an_address_keeps_its_divisions_and_masks_the_street_and_house(
    address: str, masked: str
) -> None:
    assert mask("address", address) == masked


@pytest.mark.parametrize(
    ("card", "masked"),
    [
        ("6222021234567890123", "622202*********0123"),
        ("6222 0212 3456 7890", "6222 02** **** 7890"),
    ],
)
def test_a_bank_card_keeps_its_first_six_and_last_four_digits(card: str, masked: str) -> None:
    assert mask("bank_card", card) == masked


@pytest.mark.parametrize(
    ("email", "masked"),
    [
        ("alice@example.com", "a***@example.com"),
        ("a@example.com", "***@example.com"),
        ("zhang.san@gov.cn", "z***@gov.cn"),
        ("no-at-sign", "**********"),
    ],
)
def test_an_email_keeps_the_first_letter_and_the_domain_and_hides_the_length(
    email: str, masked: str
) -> None:
    assert mask("email", email) == masked


def test_full_masking_hides_every_character() -> None:
    assert mask("full", "机密 secret") == "*********"


@pytest.mark.parametrize("kind", list(MaskKind))
def test_none_stays_none_and_empty_stays_empty(kind: MaskKind) -> None:
    assert mask(kind, None) is None
    assert mask(kind, "") == ""
    assert mask(kind, "   ") == ""


@pytest.mark.parametrize("kind", list(MaskKind))
@pytest.mark.parametrize("value", ["1", "a", "张", "@", "-"])
def test_a_single_character_is_masked_whatever_the_kind(kind: MaskKind, value: str) -> None:
    assert mask(kind, value) == "*"


@pytest.mark.parametrize(
    ("kind", "value", "masked"),
    [
        ("phone", "12", "**"),
        ("phone", "110", "***"),
        ("phone", "123456", "******"),
        ("phone", "6812345", "****345"),
        ("id_number", "123", "***"),
        ("id_number", "1234", "1*34"),
        ("bank_card", "6222021234", "**********"),
        ("bank_card", "62220212345", "622202*2345"),
        ("email", "a@b", "***@b"),
    ],
)
def test_short_input_never_fails_and_shows_at_most_the_kept_parts(
    kind: str, value: str, masked: str
) -> None:
    assert mask(kind, value) == masked


def test_the_mask_character_can_be_chosen() -> None:
    assert mask("phone", "18049531999", char="•") == "180••••1999"


def test_an_unknown_kind_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="unknown mask kind 'passport'"):
        mask("passport", "E12345678")


def test_an_option_the_kind_does_not_take_is_a_type_error() -> None:
    with pytest.raises(TypeError):
        mask("name", "段正淳", keep_start=2)


@given(
    value=st.text(min_size=1, max_size=40).filter(lambda s: s.strip() == s and s),
    keep_start=st.integers(0, 6),
    keep_end=st.integers(0, 6),
)
def test_an_id_number_never_shows_more_than_the_kept_parts(
    value: str, keep_start: int, keep_end: int
) -> None:
    masked = mask_id_number(value, keep_start=keep_start, keep_end=keep_end)
    assert len(masked) == len(value)
    visible = [i for i, (a, b) in enumerate(zip(value, masked, strict=True)) if a == b != "*"]
    assert len(visible) <= min(keep_start + keep_end, len(value) - 1)
    assert all(i < keep_start or i >= len(value) - keep_end for i in visible)


@given(st.text(max_size=60))
@pytest.mark.parametrize("kind", list(MaskKind))
def test_masking_never_fails_and_never_lengthens_a_value_except_an_email(
    kind: MaskKind, value: str
) -> None:
    masked = mask(kind, value)
    assert isinstance(masked, str)
    if kind is not MaskKind.EMAIL:
        assert len(masked) == len(value.strip())
