"""Resource codes as the guideline writes them, and the column dictionary's guesses: fast
unit tests without a database."""

from __future__ import annotations

import pytest

from zhuyun.catalog.classification import (
    Classification,
    classification_errors,
    compose_code,
    format_sequence,
    parse_code,
)
from zhuyun.catalog.columns import data_type_of, hint_for
from zhuyun.catalog.vocab import DataType, Sensitivity
from zhuyun.core.masking import MaskKind


def test_a_code_is_the_classification_then_a_slash_then_the_sequence() -> None:
    c = Classification("3", "07", "012", "01")
    code = compose_code(c, format_sequence(42))
    assert code == "30701201/000042"
    assert parse_code(code) == (c, "000042")
    assert c.labels == ("部门信息资源", "省（自治区、直辖市）及其下各级政务部门")


@pytest.mark.parametrize(
    "code", ["", "4070010/000001", "307001000001", "307001/", "3070a1/000001", "307001/1234567890"]
)
def test_malformed_codes_do_not_parse(code: str) -> None:
    assert parse_code(code) is None


def test_the_guidelines_classes_and_items_are_the_only_valid_ones() -> None:
    assert classification_errors(Classification("1", "05", "001")) == []
    assert classification_errors(Classification("2", "12", "999", "123456")) == []
    assert [e[0] for e in classification_errors(Classification("1", "06", "001"))] == ["item_code"]
    assert [e[0] for e in classification_errors(Classification("3", "09", "1"))] == [
        "item_code",
        "catalogue_code",
    ]
    assert [e[0] for e in classification_errors(Classification("0", "01", "001"))] == ["class_code"]


@pytest.mark.parametrize(
    ("column", "sql_type", "expected"),
    [
        ("birth_date", "TEXT", DataType.DATE),
        ("registered_on", "varchar(10)", DataType.DATE),
        ("updated_at", "TEXT", DataType.DATETIME),
        ("updated_at", "timestamp with time zone", DataType.DATETIME),
        ("amount", "NUMERIC(12,2)", DataType.DECIMAL),
        ("amount", "double precision", DataType.DECIMAL),
        ("members", "int4", DataType.INTEGER),
        ("members", "BIGINT", DataType.INTEGER),
        ("flag", "tinyint(1)", DataType.INTEGER),
        ("ok", "boolean", DataType.BOOLEAN),
        ("photo", "BLOB", DataType.BINARY),
        ("location", "point", DataType.STRING),
        ("payload", "jsonb", DataType.STRING),
        ("beds", "", DataType.INTEGER),  # no SQL type: what the name is known to hold
        ("first_bus_time", "", DataType.STRING),
    ],
)
def test_data_types_come_from_the_sql_type_and_for_text_from_the_name(
    column: str, sql_type: str, expected: DataType
) -> None:
    assert data_type_of(column, sql_type) == expected


def test_personal_data_is_recognised_by_its_column_name() -> None:
    assert hint_for("id_number").mask_kind == MaskKind.ID_NUMBER
    assert hint_for("Guarantor_ID_Number").mask_kind == MaskKind.ID_NUMBER
    assert hint_for("contact_mobile").mask_kind == MaskKind.PHONE
    assert hint_for("home_address").sensitivity == Sensitivity.SENSITIVE
    unknown = hint_for("zzz_col")
    assert (unknown.name_zh, unknown.sensitivity, unknown.mask_kind) == (
        "zzz_col",
        Sensitivity.INTERNAL,
        None,
    )
