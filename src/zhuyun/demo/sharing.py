"""A little history of data sharing in the demo city, made through the same services a person
uses: applications approved, rejected and pending, and governed queries — so the inbox, the
grants, the access logs, the statistics and a citizen's "who read my data" have something to
show on the first visit."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from zhuyun.core.calendar import china_today
from zhuyun.exchange.connectors import Filter
from zhuyun.exchange.models import Binding
from zhuyun.exchange.service import applications, gateway
from zhuyun.identity import service as identity
from zhuyun.identity.permissions import Principal

CHECK_PURPOSE = "办理社会保险参保登记，核验参保人身份"
MARKET_PURPOSE = "企业开办一网通办，核验市场主体登记信息"


def _principal(session: Session, username: str) -> Principal | None:
    account = identity.find_account(session, username)
    return identity.principal_for(account) if account is not None else None


def _resource(session: Session, table: str) -> int | None:
    return session.scalar(select(Binding.resource_id).where(Binding.table_name == table))


def seed_sharing_history(
    session: Session, secret_key: str, citizen_id_number: str, review_days: int
) -> int:
    """Applications and queries between the demo's departments; returns the queries made."""
    today = china_today()
    bureau = _principal(session, "dsj.data")
    police = _principal(session, "gongan.data")
    market = _principal(session, "scjg.data")
    handler = _principal(session, "rsj.handler")
    people, households = _resource(session, "people"), _resource(session, "households")
    enterprises = _resource(session, "enterprises")
    if None in (bureau, police, market, handler, people, households, enterprises):
        return 0
    assert bureau and police and market and handler and people and households and enterprises

    def apply(who: Principal, resource_id: int, items: list[str], purpose: str, key: str) -> int:
        draft = applications.ApplicationDraft(
            resource_id, items, purpose, "《政务信息资源共享管理暂行办法》第十条",
            today + timedelta(days=365), 5_000, f"demo-application-{key}",
        )  # fmt: skip
        application, _ = applications.apply(session, who, draft, today, review_days)
        return application.id

    granted = apply(bureau, people, ["id_number", "name", "sex", "birth_date"], CHECK_PURPOSE, "1")
    applications.approve(
        session,
        police,
        granted,
        applications.Approval(clear_items=["name", "sex"], max_rows_per_query=100),
    )
    refused = apply(market, households, ["household_id", "head_id_number"], MARKET_PURPOSE, "2")
    applications.reject(
        session, police, refused, "户籍户信息仅限公安、民政等履职部门使用，请改用核验方式。"
    )
    apply(market, people, ["id_number", "name"], MARKET_PURPOSE, "3")  # still pending

    queries = 0
    for who, request in (
        (bureau, gateway.QueryRequest(
            people, ["id_number", "name", "sex"], CHECK_PURPOSE,
            [Filter("id_number", "eq", citizen_id_number)])),
        (handler, gateway.QueryRequest(
            enterprises, ["credit_code", "name", "status"], MARKET_PURPOSE, limit=50)),
        (handler, gateway.QueryRequest(
            enterprises, ["credit_code", "name", "industry"], MARKET_PURPOSE, limit=20)),
        (bureau, gateway.QueryRequest(
            people, ["id_number", "sex", "birth_date"], CHECK_PURPOSE, limit=100)),
    ):  # fmt: skip
        prepared = gateway.prepare(session, secret_key, who, request, today)
        gateway.run_page(session, secret_key, prepared)
        queries += 1
    return queries
