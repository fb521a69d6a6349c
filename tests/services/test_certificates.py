"""Electronic certificates: issued by a unit with its own key, verified by anyone, revoked
only by the issuer, listed and downloaded by their holder."""

from __future__ import annotations

import base64
import copy
import secrets
from datetime import date
from typing import Any

import pytest
import rfc8785
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from fastapi.testclient import TestClient
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from tests.helpers import api_token, token_for
from tests.helpers import sign_in as browser_sign_in
from zhuyun.core.db import Database
from zhuyun.core.errors import Problem
from zhuyun.core.ids import make_credit_code, make_resident_id
from zhuyun.core.ledger import LedgerEntry
from zhuyun.core.settings import DEV_SECRET
from zhuyun.demo.builder import DemoResult
from zhuyun.identity import service as identity
from zhuyun.identity.permissions import SYSTEM, SYSTEM_PRINCIPAL, Role
from zhuyun.services.certificates import service, verification
from zhuyun.services.certificates.models import Certificate, CertificateKey

PASSWORD = "Cert-Test-Pass-2026!"
SECRET = DEV_SECRET  # the test app's platform key: units' keys sealed here must open there
_VALID = make_resident_id("520102", date(1988, 5, 17), 11)
BAD_CHECK_DIGIT = _VALID[:-1] + ("1" if _VALID[-1] != "1" else "2")


def holder_fields() -> dict[str, Any]:
    return {
        "insurance_type": "企业职工基本养老保险",
        "employer_name": "贵阳测试科技有限公司",
        "started_on": "2019-04-01",
        "status": "正常参保",
    }


def new_person(db: Database) -> tuple[str, str, dict[str, str]]:
    """A freshly registered citizen: ID number, name, and sign-in body."""
    id_number = make_resident_id("520102", date(1988, 5, 17), secrets.randbelow(999) + 1)
    with db.session() as session:
        if identity.find_account(session, id_number) is None:
            identity.register_person(session, id_number, "宋佳怡", PASSWORD)
    return id_number, "宋佳怡", {"username": id_number, "password": PASSWORD}


def staff(client: TestClient, db: Database, unit_code: str, role: Role) -> dict[str, str]:
    """Authorization headers of a new staff member of `unit_code` holding `role`."""
    username = f"certs.{unit_code}.{secrets.token_hex(5)}"  # never 18 long (an ID)
    with db.session() as session:
        unit = identity.find_unit_by_code(session, unit_code)
        assert unit is not None
        identity.create_staff(
            session,
            SYSTEM,
            identity.StaffDraft(username, "测试经办人", unit.id, PASSWORD, ((role, unit.id),)),
        )
    return sign_in(client, {"username": username, "password": PASSWORD})


def sign_in(client: TestClient, body: dict[str, str]) -> dict[str, str]:
    response = client.post("/api/auth/token", json=body)
    assert response.status_code == 201, response.text
    return {"Authorization": f"Bearer {response.json()['token']}"}


def issue(client: TestClient, headers: dict[str, str], holder: str, **over: Any) -> Any:
    body = {
        "kind": "SBCBZM",
        "holder_id": holder,
        "holder_name": "宋佳怡",
        "fields": holder_fields(),
        "case_ref": f"case:{secrets.token_hex(6)}",
        **over,
    }
    return client.post("/api/certificates", json=body, headers=headers)


@pytest.fixture
def handler(client: TestClient, demo_city: DemoResult) -> dict[str, str]:
    """The demo's 人社局 case handler."""
    return token_for(client, demo_city, "rsj.handler")


@pytest.fixture
def person(db: Database) -> tuple[str, str, dict[str, str]]:
    return new_person(db)


def test_a_handler_issues_a_certificate_signed_by_the_units_own_published_key(
    client: TestClient,
    handler: dict[str, str],
    person: tuple[str, str, dict[str, str]],
    db: Database,
) -> None:
    response = issue(client, handler, person[0])
    assert response.status_code == 201, response.text
    issued = response.json()
    assert issued["issuer_name"] == "贵阳市人力资源和社会保障局"
    assert issued["algorithm"] == "ed25519"
    assert issued["valid_until"] is not None  # a 参保证明 is valid for a year

    key = client.get(f"/api/certificates/keys/{issued['key_id']}").json()
    with db.session() as session:
        rsj = identity.find_unit_by_code(session, "rsj")
        assert rsj is not None and key["unit_id"] == rsj.id
        stored = session.scalar(select(Certificate).where(Certificate.number == issued["number"]))
        assert stored is not None
        sealed = session.get(CertificateKey, stored.key_id)
        assert sealed is not None and key["public_key"] not in sealed.private_key_sealed

    signed = client.get(f"/api/certificates/{issued['number']}", headers=handler).json()
    # anyone can check the signature with the published key and RFC 8785, without zhuyun
    public = Ed25519PublicKey.from_public_bytes(base64.b64decode(key["public_key"]))
    public.verify(
        base64.b64decode(signed["signature"]["value"]), rfc8785.dumps(signed["certificate"])
    )
    assert signed["certificate"]["holder"]["id"] == person[0]
    assert signed["certificate"]["fields"] == holder_fields()


def test_the_same_case_issues_one_certificate(
    client: TestClient,
    handler: dict[str, str],
    person: tuple[str, str, dict[str, str]],
    db: Database,
) -> None:
    case_ref = f"case:{secrets.token_hex(6)}"
    first = issue(client, handler, person[0], case_ref=case_ref).json()
    again = issue(client, handler, person[0], case_ref=case_ref).json()
    assert again["number"] == first["number"]
    with db.session() as session:
        issued = session.scalar(
            select(func.count())
            .select_from(LedgerEntry)
            .where(LedgerEntry.activity == "certificate.issued", LedgerEntry.case_id == case_ref)
        )
    assert issued == 1


@pytest.mark.parametrize(
    ("change", "complaint"),
    [
        ({"holder_id": BAD_CHECK_DIGIT}, "持证人身份号码"),
        ({"kind": "NOPE"}, "未知证照类型"),
        ({"fields": {**holder_fields(), "salary": "10000"}}, "salary"),
        ({"fields": {"insurance_type": "养老保险"}}, "必填"),
        ({"holder_name": "   "}, "持证人名称"),
    ],
)
def test_bad_input_is_refused_with_a_reason_and_issues_nothing(
    client: TestClient,
    handler: dict[str, str],
    person: tuple[str, str, dict[str, str]],
    db: Database,
    change: dict[str, Any],
    complaint: str,
) -> None:
    with db.session() as session:
        before = session.scalar(select(func.count()).select_from(Certificate))
    response = issue(client, handler, person[0], **change)
    assert response.status_code == 422, response.text
    assert complaint in response.json()["detail_zh"]
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(Certificate)) == before


def test_a_legal_person_kind_needs_a_valid_credit_code(
    client: TestClient,
    demo_city: DemoResult,
    db: Database,
    person: tuple[str, str, dict[str, str]],
) -> None:
    headers = token_for(client, demo_city, "scjg.data")  # a data admin may not issue
    assert issue(client, headers, person[0]).status_code == 403
    with TestClient(client.app) as other:
        market = staff(other, db, "scjg", Role.CASE_HANDLER)
        fields = {"operator": "贵阳某某餐饮店", "business_address": "贵阳市云岩区",
                  "business_scope": "热食类食品制售"}  # fmt: skip
        wrong = issue(other, market, person[0], kind="SPJYXKZ", fields=fields)
        assert wrong.status_code == 422
        assert "持证主体代码" in wrong.json()["detail_zh"]
        company = make_credit_code("520103", secrets.randbelow(31**6))
        right = issue(other, market, company, kind="SPJYXKZ", fields=fields, holder_name="某某")
        assert right.status_code == 201, right.text
        assert right.json()["holder_type"] == "legal"


def test_citizens_cannot_issue(
    client: TestClient, demo_city: DemoResult, person: tuple[str, str, dict[str, str]]
) -> None:
    citizen = api_token(client, demo_city, Role.CITIZEN)
    assert issue(client, citizen, person[0]).status_code == 403


def test_public_verification_shows_only_public_fields_and_masks_the_holder(
    client: TestClient, handler: dict[str, str], person: tuple[str, str, dict[str, str]]
) -> None:
    number = issue(client, handler, person[0]).json()["number"]
    anonymous = TestClient(client.app)
    answer = anonymous.get(f"/api/certificates/verify/{number}")
    assert answer.status_code == 200
    result = answer.json()
    assert result["status"] == "valid" and result["valid"] is True
    face = result["certificate"]
    assert face["holder_id"] == person[0][0] + "*" * 15 + person[0][-2:]
    assert face["holder_name"] == "宋**"
    assert face["fields"] == []  # nothing of a 参保证明's face is public
    for secret_value in (person[0], "宋佳怡", "贵阳测试科技有限公司", "case:"):
        assert secret_value not in answer.text

    page = anonymous.get(f"/certificates/verify/{number}")
    assert page.status_code == 200
    assert "真实有效" in page.text and number in page.text
    assert person[0] not in page.text and "贵阳测试科技有限公司" not in page.text

    unknown = anonymous.get("/certificates/verify/SBCBZM-2026-0000000000")
    assert "查无此证" in unknown.text
    assert anonymous.get("/api/certificates/verify/SBCBZM-2026-0000000000").status_code == 404


def test_a_tampered_certificate_json_is_detected(
    client: TestClient, handler: dict[str, str], person: tuple[str, str, dict[str, str]]
) -> None:
    number = issue(client, handler, person[0]).json()["number"]
    signed = client.get(f"/api/certificates/{number}", headers=handler).json()
    anonymous = TestClient(client.app)
    assert anonymous.post("/api/certificates/verify", json=signed).json()["status"] == "valid"

    forged = copy.deepcopy(signed)
    forged["certificate"]["fields"]["status"] = "暂停参保"
    assert anonymous.post("/api/certificates/verify", json=forged).json()["status"] == "forged"

    other_key = copy.deepcopy(signed)
    other_key["signature"]["key_id"] = "ed25519-0000000000000000"
    assert anonymous.post("/api/certificates/verify", json=other_key).json()["status"] == "forged"

    renamed = copy.deepcopy(signed)
    renamed["certificate"]["holder"]["name"] = "张三"
    files = {"file": ("cert.json", rfc8785.dumps(renamed), "application/json")}
    page = anonymous.post("/certificates/verify", files=files)
    assert page.status_code == 200 and "伪造或被篡改" in page.text

    not_json = anonymous.post("/certificates/verify", files={"file": ("x.json", b"\x89PNG", "")})
    assert not_json.status_code == 422 and "不是 JSON" in not_json.text
    shapeless = anonymous.post("/api/certificates/verify", json={"certificate": 1})
    assert shapeless.status_code == 422


def test_only_the_issuing_unit_revokes_with_a_reason_in_the_ledger(
    client: TestClient,
    handler: dict[str, str],
    person: tuple[str, str, dict[str, str]],
    db: Database,
) -> None:
    number = issue(client, handler, person[0]).json()["number"]
    police = staff(client, db, "gongan", Role.CASE_HANDLER)
    reason = {"reason": "参保关系已转出本市"}
    refused = client.post(f"/api/certificates/{number}/revoke", json=reason, headers=police)
    assert refused.status_code == 403
    assert client.get(f"/api/certificates/verify/{number}").json()["status"] == "valid"
    citizen = sign_in(client, person[2])
    assert (
        client.post(f"/api/certificates/{number}/revoke", json=reason, headers=citizen).status_code
        == 403
    )

    assert (
        client.post(
            f"/api/certificates/{number}/revoke", json={"reason": ""}, headers=handler
        ).status_code
        == 422
    )
    revoked = client.post(f"/api/certificates/{number}/revoke", json=reason, headers=handler)
    assert revoked.status_code == 200, revoked.text
    assert revoked.json()["revoke_reason"] == "参保关系已转出本市"
    again = client.post(f"/api/certificates/{number}/revoke", json=reason, headers=handler)
    assert again.status_code == 409

    result = client.get(f"/api/certificates/verify/{number}").json()
    assert result["status"] == "revoked" and result["valid"] is False
    assert "参保关系" not in str(result)  # the reason is the holder's business, not the public's
    page = TestClient(client.app).get(f"/certificates/verify/{number}")
    assert "已注销" in page.text
    with db.session() as session:
        entry = session.scalars(
            select(LedgerEntry).where(
                LedgerEntry.activity == "certificate.revoked", LedgerEntry.subject_id == number
            )
        ).one()
    assert entry.attrs["reason"] == "参保关系已转出本市"


def test_a_unit_revokes_its_lost_key_and_what_it_signed_stops_verifying(
    client: TestClient, db: Database, person: tuple[str, str, dict[str, str]]
) -> None:
    land = staff(client, db, "zrzy", Role.CASE_HANDLER)
    fields = {"property_address": "贵阳市南明区花果园", "unit_no": "520102001001GB00001F0001",
              "ownership_type": "国有建设用地使用权/房屋所有权", "land_use": "住宅",
              "area_sqm": 98.6}  # fmt: skip
    issued = issue(client, land, person[0], kind="BDCQZ", fields=fields).json()
    key_id, number = issued["key_id"], issued["number"]
    reason = {"reason": "签名密钥介质遗失"}
    police = staff(client, db, "gongan", Role.CASE_HANDLER)
    revoke = f"/api/certificates/keys/{key_id}/revoke"
    assert client.post(revoke, json=reason, headers=police).status_code == 403
    answer = client.post(revoke, json=reason, headers=land)
    assert answer.status_code == 200 and answer.json()["revoked_at"] is not None
    assert client.post(revoke, json=reason, headers=land).status_code == 409

    result = client.get(f"/api/certificates/verify/{number}").json()
    assert result["status"] == "key-revoked" and not result["valid"]
    with db.session() as session:
        assert number not in library_numbers(session, person[0])
    renewed = issue(client, land, person[0], kind="BDCQZ", fields=fields).json()
    assert renewed["key_id"] != key_id
    assert client.get(f"/api/certificates/verify/{renewed['number']}").json()["valid"]


def library_numbers(session: Session, holder: str) -> set[str]:
    """The numbers the library view holds for a holder (what the exchange would serve)."""
    rows = session.execute(
        text("SELECT number FROM certificate_library WHERE holder_id = :holder"),
        {"holder": holder},
    )
    return {row[0] for row in rows}


def test_a_unit_configured_for_sm2_signs_with_sm2(
    client: TestClient, db: Database, person: tuple[str, str, dict[str, str]]
) -> None:
    with db.session() as session:
        unit = identity.find_unit_by_code(session, "mzj")
        assert unit is not None
        certificate = service.issue_certificate(
            session, kind="HJZM", issuer_unit_id=unit.id, holder_id=person[0],
            holder_name=person[1], case_ref=f"case:{secrets.token_hex(6)}",
            fields={"sex": "女", "birth_date": "1988-05-17", "household_address": "贵阳市"},
            actor=SYSTEM_PRINCIPAL, secret_key=SECRET, sm2_units=f"other,{unit.code}",
        )  # fmt: skip
        number, document = certificate.number, service.certificate_json(certificate)
    assert document["signature"]["algorithm"] == "sm2"
    assert client.get(f"/api/certificates/verify/{number}").json()["status"] == "valid"
    assert client.post("/api/certificates/verify", json=document).json()["status"] == "valid"
    document["certificate"]["fields"]["sex"] = "男"
    assert client.post("/api/certificates/verify", json=document).json()["status"] == "forged"


def test_a_holder_lists_and_downloads_only_their_own_certificates(
    client: TestClient, handler: dict[str, str], db: Database
) -> None:
    mine_id, _, mine_login = new_person(db)
    theirs_id, _, _ = new_person(db)
    number = issue(client, handler, mine_id).json()["number"]
    other = issue(client, handler, theirs_id).json()["number"]
    me = sign_in(client, mine_login)
    listed = client.get("/api/certificates/mine", headers=me).json()
    assert [c["number"] for c in listed["data"]] == [number] and listed["count"] == 1
    assert (
        client.get(f"/api/certificates/{number}/pdf", headers=me).headers["content-type"]
        == "application/pdf"
    )
    assert client.get(f"/api/certificates/{other}", headers=me).status_code == 404
    assert client.get(f"/api/certificates/{other}/pdf", headers=me).status_code == 404
    assert client.get(f"/api/certificates/{number}").status_code == 401

    browser = TestClient(client.app)
    browser_sign_in(browser, mine_login["username"], mine_login["password"])
    page = browser.get("/certificates/mine")
    assert page.status_code == 200
    assert number in page.text and other not in page.text
    assert f"/api/certificates/{number}/pdf" in page.text


def test_the_demo_city_has_certificates_and_one_revoked(
    client: TestClient, demo_city: DemoResult
) -> None:
    enterprise = api_token(client, demo_city, Role.ENTERPRISE)
    listed = client.get("/api/certificates/mine", headers=enterprise).json()["data"]
    kinds = {c["kind"]: c for c in listed}
    assert {"YYZZ", "SPJYXKZ"} <= set(kinds)
    assert kinds["SPJYXKZ"]["revoked_at"] is not None
    licence = client.get(f"/api/certificates/verify/{kinds['YYZZ']['number']}").json()
    assert licence["status"] == "valid"
    public = {f["key"] for f in licence["certificate"]["fields"]}
    assert {"name", "legal_rep_name", "address"} <= public
    # a company's credit code is public; it is not masked
    assert licence["certificate"]["holder_id"] == demo_city.account(Role.ENTERPRISE).username


def test_the_issuing_units_page_lists_its_certificates_and_revokes_with_a_reason(
    client: TestClient, db: Database, person: tuple[str, str, dict[str, str]]
) -> None:
    username = f"certs.page.{secrets.token_hex(5)}"
    with db.session() as session:
        unit = identity.find_unit_by_code(session, "rsj")
        assert unit is not None
        identity.create_staff(
            session,
            SYSTEM,
            identity.StaffDraft(username, "窗口经办人", unit.id, PASSWORD,
                                ((Role.CASE_HANDLER, unit.id),)),
        )  # fmt: skip
    browser = TestClient(client.app)
    browser_sign_in(browser, username, PASSWORD)
    headers = sign_in(client, {"username": username, "password": PASSWORD})
    number = issue(client, headers, person[0]).json()["number"]

    page = browser.get("/certificates/issued", params={"q": number})
    assert page.status_code == 200 and number in page.text and "注销" in page.text
    form = {"reason": "申请人申请注销", "csrf_token": browser.cookies.get("zhuyun_csrf")}
    done = browser.post(f"/certificates/{number}/revoke", data=form, follow_redirects=False)
    assert done.status_code == 303
    assert client.get(f"/api/certificates/verify/{number}").json()["status"] == "revoked"
    assert "已注销" in browser.get("/certificates/issued", params={"q": number}).text
    forged = browser.post(
        f"/certificates/{number}/revoke", data={"reason": "再次注销"}, follow_redirects=False
    )
    assert forged.status_code == 403  # no CSRF token: refused before anything happens


def test_a_unit_key_sealed_under_another_platform_secret_refuses_to_sign_and_stores_nothing(
    client: TestClient,
    handler: dict[str, str],
    person: tuple[str, str, dict[str, str]],
    db: Database,
) -> None:
    issue(client, handler, person[0])  # the unit's key exists, sealed under the app's secret
    with db.session() as session:
        before = session.scalar(select(func.count()).select_from(Certificate))
        unit = identity.find_unit_by_code(session, "rsj")
        assert unit is not None
        with pytest.raises(Problem) as refused:
            service.issue_certificate(
                session, kind="SBCBZM", issuer_unit_id=unit.id, holder_id=person[0],
                holder_name=person[1], fields=holder_fields(), case_ref="case:rotated-secret",
                actor=SYSTEM_PRINCIPAL, secret_key="a-secret-the-key-was-not-sealed-with",
                sm2_units="",
            )  # fmt: skip
        assert refused.value.status == 503 and "ZHUYUN_SECRET_KEY" in refused.value.message_zh
        session.rollback()
        assert session.scalar(select(func.count()).select_from(Certificate)) == before


def test_a_certificate_past_its_signed_validity_verifies_as_expired(
    client: TestClient,
    handler: dict[str, str],
    person: tuple[str, str, dict[str, str]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    issued = issue(client, handler, person[0]).json()  # a 参保证明 is valid for one year
    number, until = issued["number"], date.fromisoformat(issued["valid_until"])
    monkeypatch.setattr(verification, "china_today", lambda: until)
    assert client.get(f"/api/certificates/verify/{number}").json()["status"] == "valid"
    day_after = date.fromordinal(until.toordinal() + 1)
    monkeypatch.setattr(verification, "china_today", lambda: day_after)
    result = client.get(f"/api/certificates/verify/{number}").json()
    assert result["status"] == "expired" and result["valid"] is False
