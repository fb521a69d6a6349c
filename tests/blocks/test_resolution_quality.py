"""People resolution measured on the demo set made from the demo city's population register,
read through the exchange with the caller's own rights.

The thresholds: each erroneous record carries one injected error, and every single error is
recoverable by design (a valid ID elsewhere in the pair, or name + birth date + community);
what is lost are pairs where both records carry errors that together remove the ID and the
name's sound, about (error rate)² of the duplicate pairs — 1 % at a 10 % error rate. Recall
must therefore stay above 0.97. A false link needs two different people with the same birth
date, the same community and names one sound apart, which a 2,000-person city does not have:
precision must stay above 0.99.
"""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.helpers import api_token, token_for
from zhuyun.core.db import Database
from zhuyun.demo.builder import DemoResult
from zhuyun.exchange.models import Binding
from zhuyun.identity.permissions import Role

URL = "/api/blocks/resolution/demo-quality"


@pytest.fixture
def people_resource(db: Database) -> int:
    with db.session() as session:
        resource_id = session.scalar(
            select(Binding.resource_id).where(Binding.table_name == "people")
        )
    assert resource_id is not None
    return resource_id


def test_precision_and_recall_on_the_demo_set_meet_their_thresholds(
    client: TestClient, demo_city: DemoResult, people_resource: int
) -> None:
    police = token_for(client, demo_city, "gongan.data")  # the register's own department
    response = client.get(
        URL, params={"resource_id": people_resource, "error_rate": 0.1, "seed": 11}, headers=police
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["people"] >= 1_900  # the test city's register, read through the gateway
    assert body["records"] > body["people"]  # duplicates in other registers
    assert body["precision"] >= 0.99, body
    assert body["recall"] >= 0.97, body
    assert set(body["recall_by_error"]) >= {"id-missing", "id-swap", "homophone"}
    assert body["pairs_compared"] < body["records"]  # blocking, not all pairs
    example = body["examples"][0]
    assert example["explanation"].endswith("≥ 7")
    assert "*" in example["left_name"]  # names in the examples are masked


def test_the_same_seed_gives_the_same_figures(
    client: TestClient, demo_city: DemoResult, people_resource: int
) -> None:
    police = token_for(client, demo_city, "gongan.data")
    params = {"resource_id": people_resource, "people": 300, "error_rate": 0.3, "seed": 5}
    first = client.get(URL, params=params, headers=police).json()
    second = client.get(URL, params=params, headers=police).json()
    keys = ("records", "true_pairs", "linked_pairs", "correct_pairs", "recall_by_error")
    assert {k: first[k] for k in keys} == {k: second[k] for k in keys}


def test_a_unit_that_reads_the_register_masked_is_refused(
    client: TestClient, demo_city: DemoResult, people_resource: int
) -> None:
    """The market regulator has no grant on the population register: the gateway refuses."""
    market = token_for(client, demo_city, "scjg.data")
    response = client.get(URL, params={"resource_id": people_resource}, headers=market)
    assert response.status_code == 403
    problem = response.json()
    assert problem["detail"] and problem["detail_zh"]


def test_citizens_may_not_run_resolution(
    client: TestClient, demo_city: DemoResult, people_resource: int
) -> None:
    citizen = api_token(client, demo_city, Role.CITIZEN)
    response = client.get(URL, params={"resource_id": people_resource}, headers=citizen)
    assert response.status_code == 403


@pytest.mark.parametrize(
    "params",
    [{"people": 5}, {"error_rate": 0.9}, {"duplicate_share": -1}, {"purpose": "x"}],
)
def test_bad_parameters_are_a_422_problem(
    client: TestClient, demo_city: DemoResult, people_resource: int, params: dict[str, object]
) -> None:
    police = token_for(client, demo_city, "gongan.data")
    response = client.get(URL, params={"resource_id": people_resource, **params}, headers=police)
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")


def test_compare_explains_a_match_and_a_non_match(
    client: TestClient, demo_city: DemoResult
) -> None:
    handler = api_token(client, demo_city, Role.CASE_HANDLER)
    left = {"name": "张伟明", "birth_date": "1990-03-14", "address": "南明区新华路社区遵义路12号"}
    right = {**left, "name": "章伟明", "address": "贵州省贵阳市南明区新华路街道新华路社区"}
    response = client.post(
        "/api/blocks/resolution/compare/people",
        json={"left": left, "right": right},
        headers=handler,
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["is_match"] and body["decided_by"] == "score"
    assert [p["level"] for p in body["parts"]] == ["missing", "homophone", "exact", "community"]
    other = {**left, "name": "李秀英", "birth_date": "1991-07-02"}
    response = client.post(
        "/api/blocks/resolution/compare/people",
        json={"left": left, "right": other},
        headers=handler,
    )
    assert response.status_code == 200
    assert response.json()["is_match"] is False
