"""Turning a raw record's fields into what matching compares: ID numbers split into key or
evidence, names into characters and pinyin, addresses into division codes.

Addresses are placed with the governance service's parser (the divisions' names of the shipped
table, down to communities). The house-number part of an address cannot change where it is,
so the parse is cached on the text before the first digit: a city's millions of addresses
share a few thousand such prefixes. An address without a resolvable community still yields
its district or street when it names one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

from pypinyin import Style, lazy_pinyin

from zhuyun.core.divisions import GUIYANG, children_of
from zhuyun.core.ids import (
    InvalidIdentifier,
    is_valid_credit_code,
    parse_resident_id,
)
from zhuyun.governance.service import AddressProblem, parse_address

#: Full-width ASCII (０-９, Ａ-Ｚ …) to half-width; spaces and punctuation removed.
_CLEAN = {c: c - 0xFEE0 for c in range(0xFF01, 0xFF5F)} | {
    ord(c): None for c in " \t\r\n\u3000·•.,，。、()（）-_/"
}
_FIRST_DIGIT = re.compile(r"\d")
_ENTERPRISE_AFFIXES = re.compile(
    r"^(贵州省|贵州|贵阳市|贵阳)|(股份有限公司|有限责任公司|有限公司|分公司|个体工商户|合作社)$"
)
#: The day ages and ID plausibility are judged against when a caller does not say.
_FAR_FUTURE = date(2100, 1, 1)


@dataclass(frozen=True)
class Place:
    """Division codes an address resolves to; the finer ones are empty when not found."""

    district: str = ""
    street: str = ""
    community: str = ""

    @property
    def finest(self) -> str:
        return self.community or self.street or self.district


def clean_text(value: str | None) -> str:
    """Text without spaces and punctuation, full-width digits and letters made half-width."""
    if not value:
        return ""
    return value.translate(_CLEAN)


@lru_cache(maxsize=50_000)
def _syllable(char: str) -> str:
    return "".join(lazy_pinyin(char, style=Style.NORMAL, errors="ignore")) or char


def pinyin_of(text: str) -> str:
    """Toneless pinyin syllables joined by spaces: homophones (张伟/章伟) compare equal.

    Character by character (each cached): a name has no phrase context worth the cost, and
    both sides of a comparison are read the same way."""
    return " ".join(_syllable(c) for c in text)


@dataclass(frozen=True)
class ResidentIdEvidence:
    """What an ID number field says: a key when it passes GB 11643, evidence otherwise."""

    key: str | None  # the valid 18-character number
    text: str  # the cleaned text, valid or not (empty when missing)
    birth_date: date | None  # read from a valid number
    sex: str | None  # "男" / "女" from a valid number


def resident_id_evidence(value: str | None, today: date | None = None) -> ResidentIdEvidence:
    """A valid number is a key; a wrong check digit or a swapped digit is only evidence."""
    text = clean_text(value).upper()
    if not text:
        return ResidentIdEvidence(None, "", None, None)
    try:
        parsed = parse_resident_id(text, today=today or _FAR_FUTURE)
    except InvalidIdentifier:
        return ResidentIdEvidence(None, text, None, None)
    return ResidentIdEvidence(
        parsed.code, text, parsed.birth_date, "男" if parsed.sex == "male" else "女"
    )


def credit_code_key(value: str | None) -> tuple[str | None, str]:
    """(the code when it passes GB 32100, else None; the cleaned text)."""
    text = clean_text(value).upper()
    return (text if text and is_valid_credit_code(text) else None), text


def enterprise_core_name(name: str | None) -> str:
    """The distinctive part of an enterprise name: no city prefix, no legal-form suffix."""
    text = clean_text(name)
    for _ in range(2):
        text = _ENTERPRISE_AFFIXES.sub("", text)
    return text


def place_of(address: str | None) -> Place:
    """The divisions an address names, as far down as it names them."""
    text = clean_text(address)
    if not text:
        return Place()
    match = _FIRST_DIGIT.search(text)
    return _place_of_prefix(text[: match.start()] if match else text)


@lru_cache(maxsize=100_000)
def _place_of_prefix(text: str) -> Place:
    if not text:
        return Place()
    try:
        parsed = parse_address(text)
    except AddressProblem:
        return _coarse_place(text)
    return Place(parsed.district.code, parsed.street.code, parsed.community.code)


def _coarse_place(text: str) -> Place:
    """The district and street named in an address whose community was not found."""
    for district in children_of(GUIYANG):
        short = district.name[:-1] if len(district.name) > 2 else district.name
        if district.name in text or short in text:
            for street in children_of(district.code):
                if street.name in text:
                    return Place(district.code, street.code)
            return Place(district.code)
    return Place()


def parse_day(value: str | date | None) -> date | None:
    """A date from ISO text (2024-03-05 or 20240305); None when it is not a real date."""
    if value is None or isinstance(value, date):
        return value
    digits = re.sub(r"\D", "", value)
    if len(digits) != 8:
        return None
    try:
        return date(int(digits[:4]), int(digits[4:6]), int(digits[6:]))
    except ValueError:
        return None
