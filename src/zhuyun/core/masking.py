"""Masking of personal data for display: names, phones, ID numbers, addresses, cards, e-mail.

Used wherever a value leaves its owner's sight: the governed gateway (by info-item
sensitivity), lists of accounts, exports. The rules are the customary Chinese ones
(段正淳 → 段**, 180****1999, 1***************2X) and share three promises:

- `None` stays `None` and an empty string stays empty;
- a masked character becomes one mask character, so the shape survives, except the local
  part of an e-mail address, whose length is hidden too;
- nothing is revealed beyond the kept parts, and short input never fails: when a value is
  not longer than the parts to keep, all of it is masked.
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Any, overload

__all__ = ["MaskKind", "mask", "mask_id_number"]


class MaskKind(StrEnum):
    """What a value is, which decides how it is masked."""

    NAME = "name"
    PHONE = "phone"
    ID_NUMBER = "id_number"
    ADDRESS = "address"
    BANK_CARD = "bank_card"
    EMAIL = "email"
    FULL = "full"


DEFAULT_CHAR = "*"

#: The options each kind accepts; anything else is a programming error (TypeError).
_OPTIONS: dict[MaskKind, frozenset[str]] = {
    MaskKind.NAME: frozenset({"char"}),
    MaskKind.PHONE: frozenset({"char", "keep_start", "keep_end"}),
    MaskKind.ID_NUMBER: frozenset({"char", "keep_start", "keep_end"}),
    MaskKind.ADDRESS: frozenset({"char"}),
    MaskKind.BANK_CARD: frozenset({"char", "keep_start", "keep_end"}),
    MaskKind.EMAIL: frozenset({"char"}),
    MaskKind.FULL: frozenset({"char"}),
}


def _keep(value: str, keep_start: int, keep_end: int, char: str) -> str:
    """Keep `keep_start` leading and `keep_end` trailing characters, mask the middle."""
    if keep_start < 0 or keep_end < 0:
        raise ValueError("keep_start and keep_end cannot be negative")
    if len(value) <= keep_start + keep_end:
        return char * len(value)
    middle = len(value) - keep_start - keep_end
    return value[:keep_start] + char * middle + value[len(value) - keep_end :]


def _keep_digits(value: str, keep_start: int, keep_end: int, char: str) -> str:
    """Like `_keep`, counting digits only: separators (spaces, dashes, +) stay in place."""
    if keep_start < 0 or keep_end < 0:
        raise ValueError("keep_start and keep_end cannot be negative")
    positions = [i for i, c in enumerate(value) if c.isdigit()]
    if len(positions) <= keep_start + keep_end:
        hidden = set(positions) if positions else set(range(len(value)))
    else:
        hidden = set(positions[keep_start : len(positions) - keep_end])
    return "".join(char if i in hidden else c for i, c in enumerate(value))


def _mask_name(value: str, char: str) -> str:
    """段正淳 → 段**, 欧阳娜娜 → 欧***, 张三 → 张*; a one-character name is fully masked."""
    return _keep(value, 1, 0, char)


_COUNTRY_PREFIX = re.compile(r"^(?:\+|00)?86(?=[\s-]*1\d{10}$)")


def _mask_phone(value: str, char: str, keep_start: int | None, keep_end: int | None) -> str:
    """Mobile 180****1999; landline keeps its area code: 0851-****2345, 010-****5678.

    Separators stay where they are. A +86/0086/86 prefix before a mobile number is kept.
    Other numbers of ten digits or more (400 lines) keep the first 3 and last 4 digits; a
    local number of 7–9 digits keeps at most its last 4 and never more than half; anything
    shorter is masked entirely.
    """
    digits = "".join(c for c in value if c.isdigit())
    prefix = _COUNTRY_PREFIX.match(value.replace(" ", "").replace("-", ""))
    if prefix:
        start, end = 3 + sum(c.isdigit() for c in prefix.group(0)), 4
    elif digits.startswith("0") and len(digits) >= 10:
        # 010 and 02x are three-digit area codes; every other one has four digits.
        start, end = (3 if digits[1] in "12" else 4), 4
    elif len(digits) >= 10:
        start, end = 3, 4
    elif len(digits) >= 7:
        start, end = 0, min(4, len(digits) // 2)
    else:
        start, end = 0, 0
    if keep_start is not None:
        start = keep_start
    if keep_end is not None:
        end = keep_end
    return _keep_digits(value, start, end, char)


# An administrative segment: a run of Chinese characters ending in a division suffix. Lazy,
# so 贵州省贵阳市 splits into 贵州省 + 贵阳市. Digits and Latin letters never belong to one;
# 市场 is a market, not a city.
_ADMIN_SEGMENT = re.compile(
    r"\s*(?P<body>[\u4e00-\u9fff]{1,12}?)"
    r"(?P<suffix>特别行政区|自治区|自治州|自治县|自治旗|街道办事处|街道|地区|省|市|盟|区|县|旗|镇|乡|苏木)"
    r"(?!场)"
)
#: Places that end in 区 but are below the township level, so they are masked.
_NOT_ADMIN_ENDINGS = ("小区", "社区", "校区", "园区", "景区", "厂区", "院区", "片区")
#: A road inside a segment (北京路贵阳市…): a road word with text on both sides. A 街道 may
#: carry a road's name (新华路街道), and divisions may start with one (路桥区, 道真…自治县).
_ROAD_INSIDE = re.compile(r".+(?:路|街|巷|弄|道).+")
_MAX_ADMIN_SEGMENTS = 5  # province, prefecture, county, township, plus a 新区 or 开发区


def _admin_prefix_length(address: str) -> int:
    """How many leading characters name divisions, down to township (街道/镇/乡) level."""
    pos = 0
    for _ in range(_MAX_ADMIN_SEGMENTS):
        match = _ADMIN_SEGMENT.match(address, pos)
        if not match:
            break
        body, suffix = match.group("body"), match.group("suffix")
        if (body + suffix).endswith(_NOT_ADMIN_ENDINGS):
            break
        if not suffix.startswith("街道") and _ROAD_INSIDE.fullmatch(body):
            break
        pos = match.end()
    return pos


def _mask_address(value: str, char: str) -> str:
    """Keep the divisions, mask the rest, one mask character per character.

    The kept prefix is a run of up to five segments, each Chinese characters ending in a
    division suffix — 省/自治区/特别行政区, 市/自治州/地区/盟, 区/县/自治县/旗/自治旗,
    街道/镇/乡/苏木 — with no digits or Latin letters and no road inside (a road word 路/街/巷/
    弄/道 between other characters; a 街道 may be named after a road). Everything from the
    first other character on is masked:
    贵州省贵阳市云岩区中华北路123号 → 贵州省贵阳市云岩区********. Communities and housing
    estates (…社区, …小区) are masked. With no division prefix, all of it is masked.
    """
    keep = _admin_prefix_length(value)
    return value[:keep] + "".join(c if c.isspace() else char for c in value[keep:])


def _mask_email(value: str, char: str) -> str:
    """alice@example.com → a***@example.com: the local part's length is hidden too."""
    local, at, domain = value.rpartition("@")
    if not at or not local:
        return char * len(value)
    kept = local[0] if len(local) > 1 else ""
    return f"{kept}{char * 3}@{domain}"


@overload
def mask(kind: MaskKind | str, value: str, **options: Any) -> str: ...
@overload
def mask(kind: MaskKind | str, value: None, **options: Any) -> None: ...
def mask(kind: MaskKind | str, value: str | None, **options: Any) -> str | None:
    """Mask `value` as a `kind`; options: `char` (default "*") and, for id_number,
    phone and bank_card, `keep_start` and `keep_end`.

    Surrounding whitespace is dropped. An unknown kind is a ValueError, an option the kind
    does not take a TypeError.
    """
    try:
        mask_kind = MaskKind(kind)
    except ValueError:
        known = ", ".join(k.value for k in MaskKind)
        raise ValueError(f"unknown mask kind {kind!r}; known kinds: {known}") from None
    unexpected = set(options) - _OPTIONS[mask_kind]
    if unexpected:
        raise TypeError(f"mask kind {mask_kind.value} takes no option {sorted(unexpected)}")
    if value is None:
        return None
    text = value.strip()
    if not text:
        return ""
    char = str(options.get("char", DEFAULT_CHAR))
    keep_start: int | None = options.get("keep_start")
    keep_end: int | None = options.get("keep_end")
    match mask_kind:
        case MaskKind.NAME:
            return _mask_name(text, char)
        case MaskKind.PHONE:
            return _mask_phone(text, char, keep_start, keep_end)
        case MaskKind.ID_NUMBER:
            start = 1 if keep_start is None else keep_start
            end = 2 if keep_end is None else keep_end
            return _keep(text, start, end, char)
        case MaskKind.ADDRESS:
            return _mask_address(text, char)
        case MaskKind.BANK_CARD:
            start = 6 if keep_start is None else keep_start
            end = 4 if keep_end is None else keep_end
            return _keep_digits(text, start, end, char)
        case MaskKind.EMAIL:
            return _mask_email(text, char)
        case MaskKind.FULL:
            return char * len(text)


@overload
def mask_id_number(value: str, keep_start: int = 1, keep_end: int = 2) -> str: ...
@overload
def mask_id_number(value: None, keep_start: int = 1, keep_end: int = 2) -> None: ...
def mask_id_number(value: str | None, keep_start: int = 1, keep_end: int = 2) -> str | None:
    """11010519491231002X → 1***************2X: what account lists show of a resident ID."""
    return mask(MaskKind.ID_NUMBER, value, keep_start=keep_start, keep_end=keep_end)
