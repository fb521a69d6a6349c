"""The records entity resolution takes in, and their prepared (normalised) forms."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from zhuyun.blocks.resolution.normalise import (
    Place,
    clean_text,
    credit_code_key,
    enterprise_core_name,
    parse_day,
    pinyin_of,
    place_of,
    resident_id_evidence,
)


@dataclass(frozen=True, slots=True)
class PersonRecord:
    """One department's record of a person, as it was read: any field may be wrong or empty."""

    record_id: str
    source: str
    name: str
    id_number: str | None = None
    birth_date: str | None = None  # ISO text as the source holds it (may be mistyped)
    sex: str | None = None
    address: str | None = None


@dataclass(frozen=True, slots=True)
class EnterpriseRecord:
    """One department's record of an enterprise."""

    record_id: str
    source: str
    name: str
    credit_code: str | None = None
    address: str | None = None


@dataclass(frozen=True, slots=True)
class PreparedPerson:
    record_id: str
    source: str
    key: str | None  # a valid resident ID: records with the same key are the same person
    id_text: str  # the ID as written, valid or not
    name: str
    name_pinyin: str
    birth_digits: str  # YYYYMMDD as written (may be mistyped), or from the ID
    birth: date | None
    sex: str | None
    place: Place


@dataclass(frozen=True, slots=True)
class PreparedEnterprise:
    record_id: str
    source: str
    key: str | None  # a valid unified social credit code
    code_text: str
    name: str  # the core name (no city prefix, no legal-form suffix)
    place: Place


def _digits(value: str | None) -> str:
    return "".join(c for c in value or "" if c.isdigit())


def prepare_person(record: PersonRecord) -> PreparedPerson:
    evidence = resident_id_evidence(record.id_number)
    name = clean_text(record.name)
    birth_digits = _digits(record.birth_date)
    if len(birth_digits) != 8 and evidence.birth_date is not None:
        birth_digits = evidence.birth_date.strftime("%Y%m%d")
    sex = clean_text(record.sex) or evidence.sex
    return PreparedPerson(
        record_id=record.record_id,
        source=record.source,
        key=evidence.key,
        id_text=evidence.text,
        name=name,
        name_pinyin=pinyin_of(name),
        birth_digits=birth_digits if len(birth_digits) == 8 else "",
        birth=parse_day(birth_digits) or evidence.birth_date,
        sex=sex if sex in ("男", "女") else None,
        place=place_of(record.address),
    )


def prepare_enterprise(record: EnterpriseRecord) -> PreparedEnterprise:
    key, text = credit_code_key(record.credit_code)
    return PreparedEnterprise(
        record_id=record.record_id,
        source=record.source,
        key=key,
        code_text=text,
        name=enterprise_core_name(record.name),
        place=place_of(record.address),
    )
