"""Chinese identifiers: GB 11643 resident ID numbers and GB 32100 unified social credit codes.

The checks are written here rather than taken from python-stdnum or jionlp: stdnum rejects
valid resident IDs whose area code is newer than the holder's birth year (codes are re-issued
when divisions change, people keep their number), and jionlp does not verify the check digit.
Each rule is a few lines and is tested against published examples.

Every rejection is an `InvalidIdentifier` that says in English and Chinese what is wrong, so the
API can hand it to the user unchanged.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Literal

__all__ = [
    "CREDIT_CODE_CHARSET",
    "EARLIEST_BIRTH",
    "CreditCode",
    "InvalidIdentifier",
    "ResidentId",
    "credit_code_check_char",
    "is_valid_credit_code",
    "is_valid_resident_id",
    "make_credit_code",
    "make_resident_id",
    "organisation_code_check_char",
    "parse_credit_code",
    "parse_resident_id",
    "resident_id_check_char",
]


class InvalidIdentifier(ValueError):
    """An identifier that fails its standard; carries the reason in both languages."""

    def __init__(self, message_en: str, message_zh: str) -> None:
        super().__init__(message_en)
        self.message_en = message_en
        self.message_zh = message_zh


# --------------------------------------------------------------------------------------------
# GB 11643-1999 公民身份号码
# --------------------------------------------------------------------------------------------

#: Weights 2^(17-i) mod 11 for the 17 body digits (ISO 7064 MOD 11-2).
_RESIDENT_WEIGHTS = tuple(pow(2, 17 - i, 11) for i in range(17))
_RESIDENT_CHECK_CHARS = "10X98765432"
_RESIDENT_SHAPE = re.compile(r"\d{17}[\dX]")
EARLIEST_BIRTH = date(1900, 1, 1)

#: First two digits of GB/T 2260 province-level codes, plus 81/82/83 used in the residence
#: permits of Hong Kong, Macao and Taiwan residents.
_PROVINCE_PREFIXES = frozenset(
    {"11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37"}
    | {"41", "42", "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63"}
    | {"64", "65", "71", "81", "82", "83"}
)

Sex = Literal["male", "female"]


def _valid_area_code(area_code: str) -> bool:
    """Province-level prefix check only: full division tables change, ID numbers do not.

    A leading 9 marks the 2023 foreigner's permanent residence ID, which copies the GB 11643
    layout and check; its next two digits are the issuing province.
    """
    if len(area_code) != 6 or not area_code.isdigit():
        return False
    if area_code[0] == "9":
        return area_code[1:3] in _PROVINCE_PREFIXES
    return area_code[:2] in _PROVINCE_PREFIXES


def resident_id_check_char(body: str) -> str:
    """The 18th character for 17 body digits (ISO 7064 MOD 11-2)."""
    if len(body) != 17 or not body.isdigit():
        raise ValueError("the body of a resident ID is exactly 17 digits")
    total = sum(int(d) * w for d, w in zip(body, _RESIDENT_WEIGHTS, strict=True))
    return _RESIDENT_CHECK_CHARS[total % 11]


@dataclass(frozen=True)
class ResidentId:
    """A parsed, valid 18-character resident ID number."""

    code: str
    area_code: str
    birth_date: date
    sequence: int
    sex: Sex

    @property
    def number(self) -> str:
        """The canonical 18-character number (upper-case X); same as `code`."""
        return self.code

    @property
    def is_foreign_permanent_resident(self) -> bool:
        """True for the 2023 foreigner's permanent residence ID, which starts with 9."""
        return self.code[0] == "9"

    def age_on(self, day: date) -> int:
        """Completed years on `day` (a 29 February birthday counts on 1 March)."""
        years = day.year - self.birth_date.year
        if (day.month, day.day) < (self.birth_date.month, self.birth_date.day):
            years -= 1
        return years


def parse_resident_id(
    value: str, *, today: date | None = None, earliest_birth: date = EARLIEST_BIRTH
) -> ResidentId:
    """Validate a GB 11643 resident ID number and split it into its parts.

    Accepts surrounding whitespace and a lower-case x; rejects everything else — including
    15-digit first-generation numbers — with an `InvalidIdentifier`. The birth date must lie
    between `earliest_birth` (1900-01-01: nobody alive to register is older; the standard's
    own second example, born 1880, needs a lower bound) and `today` (default: the system date).
    """
    if not isinstance(value, str):
        raise InvalidIdentifier("A resident ID number must be text.", "身份证号码必须是文本。")
    code = value.strip().upper()
    if not code:
        raise InvalidIdentifier("The resident ID number is empty.", "身份证号码为空。")
    if len(code) != 18:
        if len(code) == 15 and code.isdigit():
            raise InvalidIdentifier(
                "15-digit first-generation ID numbers are not accepted; use the 18-digit number.",
                "不接受15位第一代身份证号码，请使用18位号码。",
            )
        raise InvalidIdentifier(
            f"A resident ID number has 18 characters, not {len(code)}.",
            f"身份证号码应为18位，实际为{len(code)}位。",
        )
    if not _RESIDENT_SHAPE.fullmatch(code):
        raise InvalidIdentifier(
            "A resident ID number is 17 digits followed by a digit or X.",
            "身份证号码应由17位数字和1位数字或X组成。",
        )
    area_code = code[:6]
    if not _valid_area_code(area_code):
        raise InvalidIdentifier(
            f"The area code {area_code} is not a division code (its first two digits name no "
            "province).",
            f"身份证号码的地址码 {area_code} 无效（前两位不是省级行政区划代码）。",
        )
    birth_text = code[6:14]
    try:
        birth_date = date(int(birth_text[:4]), int(birth_text[4:6]), int(birth_text[6:]))
    except ValueError:
        raise InvalidIdentifier(
            f"The birth date {birth_text} in the resident ID number is not a real date.",
            f"身份证号码中的出生日期 {birth_text} 不是有效日期。",
        ) from None
    if birth_date < earliest_birth:
        raise InvalidIdentifier(
            f"The birth date {birth_date.isoformat()} is before {earliest_birth.isoformat()}.",
            f"身份证号码中的出生日期 {birth_date.isoformat()} 早于{earliest_birth.isoformat()}。",
        )
    if birth_date > (today or date.today()):
        raise InvalidIdentifier(
            f"The birth date {birth_date.isoformat()} is in the future.",
            f"身份证号码中的出生日期 {birth_date.isoformat()} 晚于今天。",
        )
    if resident_id_check_char(code[:17]) != code[17]:
        raise InvalidIdentifier("resident ID check digit is wrong", "身份证号码校验码错误")
    return ResidentId(
        code=code,
        area_code=area_code,
        birth_date=birth_date,
        sequence=int(code[14:17]),
        sex="male" if int(code[16]) % 2 else "female",
    )


def is_valid_resident_id(
    value: str, *, today: date | None = None, earliest_birth: date = EARLIEST_BIRTH
) -> bool:
    """True when `parse_resident_id` accepts the value."""
    try:
        parse_resident_id(value, today=today, earliest_birth=earliest_birth)
    except InvalidIdentifier:
        return False
    return True


def make_resident_id(area_code: str, birth_date: date, sequence: int) -> str:
    """A valid resident ID number for synthetic people (demo city, tests).

    The sex follows the sequence: odd is male, even is female.
    """
    if not _valid_area_code(area_code):
        raise ValueError(f"{area_code!r} is not a six-digit area code of a province")
    if not 0 <= sequence <= 999:
        raise ValueError(f"the sequence is 0..999, not {sequence}")
    if not EARLIEST_BIRTH <= birth_date <= date.today():
        raise ValueError(f"the birth date {birth_date} is before 1900 or in the future")
    body = f"{area_code}{birth_date:%Y%m%d}{sequence:03d}"
    return body + resident_id_check_char(body)


# --------------------------------------------------------------------------------------------
# GB 32100-2015 统一社会信用代码 (with the GB 11714 organisation code inside)
# --------------------------------------------------------------------------------------------

#: The 31 characters of GB 32100 (no I, O, Z, S, V); a character's value is its index.
CREDIT_CODE_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_CREDIT_VALUES = {c: i for i, c in enumerate(CREDIT_CODE_CHARSET)}
#: Weights 3^(i-1) mod 31 (ISO 7064 MOD 31-3 as profiled by GB 32100).
_CREDIT_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_CREDIT_SHAPE = re.compile(rf"[{CREDIT_CODE_CHARSET}]{{2}}\d{{6}}[{CREDIT_CODE_CHARSET}]{{10}}")
_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
_ORG_BODY = re.compile(rf"[{CREDIT_CODE_CHARSET}]{{8}}")
#: Serials of `make_credit_code` become six base-31 characters after "MA".
_SERIAL_LIMIT = len(CREDIT_CODE_CHARSET) ** 6


def credit_code_check_char(body: str) -> str:
    """The 18th character for a 17-character body: 31 - (weighted sum mod 31), 31 → 0."""
    if len(body) != 17 or any(c not in _CREDIT_VALUES for c in body):
        raise ValueError("the body of a credit code is 17 characters of the GB 32100 set")
    total = sum(_CREDIT_VALUES[c] * w for c, w in zip(body, _CREDIT_WEIGHTS, strict=True))
    return CREDIT_CODE_CHARSET[(31 - total % 31) % 31]


def _org_value(char: str) -> int:
    return int(char) if char.isdigit() else ord(char) - ord("A") + 10


def organisation_code_check_char(body: str) -> str:
    """The 9th character of a GB 11714 organisation code from its first eight.

    11 - (weighted sum mod 11), with 10 → X and 11 → 0; letters count A=10 … Z=35.
    """
    if len(body) != 8 or not all(c.isdigit() or "A" <= c <= "Z" for c in body):
        raise ValueError("the body of an organisation code is 8 digits or capital letters")
    check = 11 - sum(_org_value(c) * w for c, w in zip(body, _ORG_WEIGHTS, strict=True)) % 11
    return {10: "X", 11: "0"}.get(check, str(check))


@dataclass(frozen=True)
class CreditCode:
    """A parsed unified social credit code whose GB 32100 check character is right.

    `organisation_code_valid` tells whether the embedded GB 11714 organisation code also
    passes its own check (see `parse_credit_code` for why that is not required by default).
    """

    code: str
    registration_authority: str
    entity_type: str
    division_code: str
    organisation_code: str
    organisation_code_valid: bool

    @property
    def number(self) -> str:
        """The canonical 18-character code; same as `code`."""
        return self.code


def parse_credit_code(value: str, *, strict: bool = False) -> CreditCode:
    """Validate a GB 32100 unified social credit code and split it into its parts.

    Accepts lower case and surrounding whitespace. Checked: 18 characters; characters 1–2
    and 9–18 from the 31-character set, 3–8 digits; the check character (MOD 31-3).

    The embedded organisation code (characters 9–17) is checked against GB 11714 and the
    result recorded in `organisation_code_valid`; a failure is only an error when
    `strict=True`. Why not by default: the final check character already catches every
    single-character error and adjacent transposition, so the inner check adds little, while
    a false rejection locks a real enterprise out of registering. All 200 real codes in
    python-stdnum's test set (143 of them individual businesses, 92…) pass the inner check,
    so strict mode is usable, but registries have issued irregular codes (some Xiamen codes
    from before 2016 fail even the GB 32100 check) and the inner rule is not enforced by the
    registration systems we can observe.
    """
    if not isinstance(value, str):
        raise InvalidIdentifier("A credit code must be text.", "统一社会信用代码必须是文本。")
    code = value.strip().upper()
    if not code:
        raise InvalidIdentifier("The credit code is empty.", "统一社会信用代码为空。")
    if len(code) != 18:
        raise InvalidIdentifier(
            f"A unified social credit code has 18 characters, not {len(code)}.",
            f"统一社会信用代码应为18位，实际为{len(code)}位。",
        )
    if not _CREDIT_SHAPE.fullmatch(code):
        if not code[2:8].isdigit():
            raise InvalidIdentifier(
                "Characters 3–8 of a credit code are the six-digit division code.",
                "统一社会信用代码第3—8位应为6位数字的行政区划码。",
            )
        raise InvalidIdentifier(
            "A credit code uses only digits and the capital letters A–Y without I, O, S, V, Z.",
            "统一社会信用代码只能由数字和大写字母组成（不使用I、O、S、V、Z）。",
        )
    if credit_code_check_char(code[:17]) != code[17]:
        raise InvalidIdentifier(
            "unified social credit code check character is wrong", "统一社会信用代码校验码错误"
        )
    organisation_code = code[8:17]
    org_ok = organisation_code_check_char(organisation_code[:8]) == organisation_code[8]
    if strict and not org_ok:
        raise InvalidIdentifier(
            f"The organisation code {organisation_code} inside the credit code fails its "
            "GB 11714 check.",
            f"统一社会信用代码中的组织机构代码 {organisation_code} 校验码错误。",
        )
    return CreditCode(
        code=code,
        registration_authority=code[0],
        entity_type=code[1],
        division_code=code[2:8],
        organisation_code=organisation_code,
        organisation_code_valid=org_ok,
    )


def is_valid_credit_code(value: str, *, strict: bool = False) -> bool:
    """True when `parse_credit_code` accepts the value."""
    try:
        parse_credit_code(value, strict=strict)
    except InvalidIdentifier:
        return False
    return True


def _serial_body(serial: int) -> str:
    """'MA' + six base-31 characters: the shape of organisation codes issued since 2015."""
    if not 0 <= serial < _SERIAL_LIMIT:
        raise ValueError(f"the serial is 0..{_SERIAL_LIMIT - 1}, not {serial}")
    chars = []
    for _ in range(6):
        serial, digit = divmod(serial, len(CREDIT_CODE_CHARSET))
        chars.append(CREDIT_CODE_CHARSET[digit])
    return "MA" + "".join(reversed(chars))


def make_credit_code(
    division_code: str,
    serial: int | str,
    registration_authority: str = "9",
    entity_type: str = "1",
) -> str:
    """A valid credit code for synthetic entities, the same for the same arguments.

    `serial` is either an int (0 … 31^6 - 1; distinct serials give distinct codes, with an
    organisation code "MA" + six base-31 characters) or the eight-character body of the
    organisation code itself. Both the organisation code and the whole code get their check
    characters, so the result passes `parse_credit_code(..., strict=True)`.
    """
    if len(division_code) != 6 or not division_code.isdigit():
        raise ValueError(f"{division_code!r} is not a six-digit division code")
    for name, char in (
        ("registration_authority", registration_authority),
        ("entity_type", entity_type),
    ):
        if len(char) != 1 or char not in _CREDIT_VALUES:
            raise ValueError(f"{name} is one character of {CREDIT_CODE_CHARSET}, not {char!r}")
    if isinstance(serial, str):
        org_body = serial.strip().upper()
        if not _ORG_BODY.fullmatch(org_body):
            raise ValueError(f"{serial!r} is not eight characters of {CREDIT_CODE_CHARSET}")
    else:
        org_body = _serial_body(serial)
    organisation_code = org_body + organisation_code_check_char(org_body)
    body = registration_authority + entity_type + division_code + organisation_code
    return body + credit_code_check_char(body)
