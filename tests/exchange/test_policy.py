"""The policy's decisions and the rule each refusal names, without a server in between."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime

import pytest

from zhuyun.exchange.service.policy import Consumer, Refused, decide

TODAY = date(2026, 11, 25)
PURPOSE = "办理社保参保登记"


@dataclass(frozen=True)
class Item:
    field: str
    share_type: str = "conditional"
    sensitivity: str = "internal"
    mask_kind: str | None = None


@dataclass(frozen=True)
class Resource:
    id: int = 1
    name: str = "人口基础信息"
    provider_unit_id: int = 10
    share_type: str = "conditional"
    status: str = "published"
    items: dict[str, Item] = field(
        default_factory=lambda: {
            "id_number": Item("id_number", sensitivity="sensitive", mask_kind="id_number"),
            "name": Item("name", sensitivity="sensitive", mask_kind="name"),
            "sex": Item("sex"),
        }
    )


@dataclass(frozen=True)
class Grant:
    id: int = 7
    items: list[str] = field(default_factory=lambda: ["id_number", "name", "sex"])
    clear_items: list[str] = field(default_factory=lambda: ["name"])
    purpose: str = PURPOSE
    valid_until: date = date(2027, 1, 1)
    max_rows_per_query: int = 100
    city_wide: bool = False
    revoked_at: datetime | None = None


CITY = Consumer(unit_id=20, division_code="520100", is_city_level=True)
YUNYAN = Consumer(unit_id=21, division_code="520103", is_city_level=False)


def _decide(grants: list[Grant], consumer: Consumer = CITY, items: tuple[str, ...] = ("sex",)):
    return decide(consumer, Resource(), list(items), PURPOSE, grants, "division_code", TODAY)


def test_a_live_grant_masks_sensitive_items_except_those_in_clear() -> None:
    decision = _decide([Grant()], items=("id_number", "name", "sex"))
    assert decision.grant_id == 7
    assert decision.masked == {"id_number": "id_number"}
    assert decision.row_filter is None  # the city reads every district


def test_a_district_consumer_reads_only_its_own_division() -> None:
    decision = _decide([Grant()], consumer=YUNYAN)
    assert decision.row_filter is not None
    assert (decision.row_filter.field, decision.row_filter.op, decision.row_filter.value) == (
        "division_code", "prefix", "520103",
    )  # fmt: skip


def test_the_provider_reads_its_own_resource_in_clear_without_a_grant() -> None:
    provider = Consumer(unit_id=10, division_code="520100", is_city_level=True)
    decision = _decide([], consumer=provider, items=("id_number", "name"))
    assert decision.basis == "provider" and decision.masked == {}


@pytest.mark.parametrize(
    ("grants", "rule"),
    [
        ([], "grant-required"),
        ([Grant(revoked_at=datetime(2026, 11, 1, tzinfo=UTC))], "grant-revoked"),
        (
            [Grant(revoked_at=datetime(2026, 11, 1, tzinfo=UTC)), Grant(id=8, purpose="其他用途")],
            "grant-revoked",  # the grant for this purpose is what matters
        ),
        ([Grant(valid_until=date(2026, 11, 24))], "grant-expired"),
        ([Grant(purpose="营销推广")], "grant-purpose"),
        ([Grant(items=["name"])], "grant-items"),
    ],
)
def test_each_refusal_names_the_rule_that_refused(grants: list[Grant], rule: str) -> None:
    with pytest.raises(Refused) as refused:
        _decide(grants, items=("id_number", "sex"))
    assert refused.value.rule == rule
    assert refused.value.message_zh


def test_a_withheld_item_is_refused_even_with_a_grant() -> None:
    resource = Resource(items={"offence": Item("offence", share_type="none")})
    with pytest.raises(Refused) as refused:
        decide(CITY, resource, ["offence"], PURPOSE, [Grant(items=["offence"])], None, TODAY)
    assert refused.value.rule == "item-not-shared"
