"""The demo city's electronic certificates: the certificate library registered in the
catalog and the exchange, granted to the departments that handle service cases, and the
demo citizen's and enterprise's certificates issued by the departments that own them (one
revoked, to show what a verification then says). All through the services a person uses,
so it is all in the ledger."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Any

from sqlalchemy.orm import Session

from zhuyun.core.calendar import china_today
from zhuyun.core.ids import parse_resident_id
from zhuyun.core.settings import Settings
from zhuyun.exchange.service import applications
from zhuyun.identity import service as identity
from zhuyun.identity.permissions import SYSTEM_PRINCIPAL, Principal
from zhuyun.services.certificates import service
from zhuyun.services.certificates.library import register_library

LIBRARY_PROVIDER = "dsj"
#: The departments granted the library: the service centre and the issuing departments.
GRANTED = ("zwfw", "scjg", "gongan", "rsj", "mzj", "swj", "zjj", "zrzy")
CLEAR_ITEMS = ("holder_id", "holder_name", "fields_json")


def _on_behalf_of(admin: Principal, unit_id: int) -> Principal:
    """The platform admin applying on a unit's behalf (the demo has no data admin in every
    department); the application names the admin as applicant."""
    return replace(admin, unit_id=unit_id)


def _grant_library(session: Session, resource_id: int, review_days: int) -> int:
    today = china_today()
    admin_account = identity.find_account(session, "admin")
    if admin_account is None:
        return 0
    admin = identity.principal_for(admin_account)
    granted = 0
    for code in GRANTED:
        unit = identity.find_unit_by_code(session, code)
        if unit is None:
            continue
        draft = applications.ApplicationDraft(
            resource_id,
            list(service.LIBRARY_ITEMS),
            service.LIBRARY_PURPOSE,
            "《国务院关于加快推进全国一体化在线政务服务平台建设的指导意见》：电子证照共享互认",
            today + timedelta(days=3 * 365),
            10_000,
            f"demo-certificate-library-{code}",
        )
        application, _ = applications.apply(
            session, _on_behalf_of(admin, unit.id), draft, today, review_days
        )
        applications.approve(
            session,
            SYSTEM_PRINCIPAL,
            application.id,
            applications.Approval(clear_items=list(CLEAR_ITEMS), max_rows_per_query=100),
        )
        granted += 1
    return granted


def _issue(session: Session, code: str, **kwargs: Any) -> service.Certificate | None:
    unit = identity.find_unit_by_code(session, code)
    if unit is None:
        return None
    return service.issue_certificate(
        session, issuer_unit_id=unit.id, actor=SYSTEM_PRINCIPAL, **kwargs
    )


def build_certificates(
    session: Session,
    settings: Settings,
    citizen: tuple[str, str],
    enterprise: tuple[str, str],
) -> int:
    """Register and grant the library and issue the demo holders' certificates; returns how
    many certificates were issued. `citizen`/`enterprise`: (ID number or credit code, name)."""
    secret = settings.secret_key.get_secret_value()
    provider = identity.find_unit_by_code(session, LIBRARY_PROVIDER)
    if provider is None:
        return 0
    resource_id = register_library(
        session, SYSTEM_PRINCIPAL, secret, provider.id, settings.database_url,
        source_hosts=settings.source_host_list,
    )  # fmt: skip
    _grant_library(session, resource_id, settings.review_working_days)
    keyed = {"secret_key": secret, "sm2_units": settings.certificate_sm2_units}
    person_id, person_name = citizen
    born = parse_resident_id(person_id)
    legal_id, legal_name = enterprise
    issued = [
        _issue(session, "gongan", kind="HJZM", holder_id=person_id, holder_name=person_name,
               case_ref="demo:hjzm:1", fields={
                   "sex": "男" if born.sex == "male" else "女",
                   "birth_date": born.birth_date.isoformat(), "ethnicity": "汉族",
                   "household_address": "贵州省贵阳市云岩区中华北路1号",
                   "relation_to_head": "户主"},
               **keyed),
        _issue(session, "rsj", kind="SBCBZM", holder_id=person_id, holder_name=person_name,
               case_ref="demo:sbcbzm:1", fields={
                   "insurance_type": "企业职工基本养老保险", "employer_name": legal_name,
                   "started_on": "2015-07-01", "status": "正常参保"}, **keyed),
        _issue(session, "scjg", kind="YYZZ", holder_id=legal_id, holder_name=legal_name,
               case_ref="demo:yyzz:1", fields={
                   "name": legal_name, "entity_type": "有限责任公司（自然人投资或控股）",
                   "legal_rep_name": person_name, "registered_capital": "100万元人民币",
                   "established_on": "2018-03-15", "address": "贵州省贵阳市观山湖区长岭北路8号",
                   "business_scope": "软件开发；信息技术咨询服务"}, **keyed),
        _issue(session, "scjg", kind="SPJYXKZ", holder_id=legal_id, holder_name=legal_name,
               case_ref="demo:spjyxkz:1", fields={
                   "operator": legal_name, "business_address": "贵州省贵阳市观山湖区长岭北路8号",
                   "business_scope": "预包装食品销售（不含冷藏冷冻食品）"}, **keyed),
    ]  # fmt: skip
    licence = issued[3]
    if licence is not None:
        service.revoke_certificate(
            session, SYSTEM_PRINCIPAL, licence.number, "经营者申请注销食品经营许可（演示）"
        )
    return sum(1 for c in issued if c is not None)
