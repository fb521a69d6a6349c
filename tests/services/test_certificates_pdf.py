"""The printable certificate: a PDF whose text is the certificate's face in Chinese and
whose QR code, decoded from the rendered page, opens the public verification page."""

from __future__ import annotations

import io

import pypdfium2
import zxingcpp
from fastapi.testclient import TestClient
from pypdf import PdfReader

from tests.helpers import api_token
from zhuyun.demo.builder import DemoResult
from zhuyun.identity.permissions import Role


def test_the_pdf_shows_the_face_in_chinese_and_a_qr_code_to_verify_it(
    client: TestClient, demo_city: DemoResult
) -> None:
    enterprise = api_token(client, demo_city, Role.ENTERPRISE)
    mine = client.get("/api/certificates/mine", headers=enterprise).json()["data"]
    licence = next(c for c in mine if c["kind"] == "YYZZ")
    response = client.get(f"/api/certificates/{licence['number']}/pdf", headers=enterprise)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    assert licence["number"] in response.headers["content-disposition"]

    text = PdfReader(io.BytesIO(response.content)).pages[0].extract_text()
    for expected in ("营业执照", licence["number"], licence["holder_name"], "贵阳市市场监督管理局",
                     licence["fields"]["legal_rep_name"], "统一社会信用代码", "长期"):  # fmt: skip
        assert expected in text, expected

    page = pypdfium2.PdfDocument(response.content)[0]
    image = page.render(scale=2).to_pil()
    codes = [code.text for code in zxingcpp.read_barcodes(image)]
    url = f"http://testserver/certificates/verify/{licence['number']}"
    assert codes == [url]
    verification = TestClient(client.app).get(url)
    assert verification.status_code == 200 and "真实有效" in verification.text
