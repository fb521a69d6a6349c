"""The printable certificate: an A4 page with the face, the signature and a QR code.

Drawn with reportlab. Chinese text uses reportlab's built-in CID font `STSong-Light`
(Adobe-GB1, one of the PDF standard's CJK fonts): nothing to install or embed, every
conforming viewer renders it with its own Song typeface, and text extraction works
(UniGB-UCS2-H encoding). The QR code (encoded by segno, error correction M, drawn as one
filled path with its quiet zone) holds the public verification URL of the certificate.
"""

from __future__ import annotations

import io
from functools import lru_cache
from zoneinfo import ZoneInfo

import segno
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen import canvas

from zhuyun.services.certificates.kinds import BY_CODE
from zhuyun.services.certificates.models import Certificate

FONT = "STSong-Light"
SHANGHAI = ZoneInfo("Asia/Shanghai")
QR_SIZE = 40 * mm


@lru_cache(maxsize=1)
def _font() -> str:
    pdfmetrics.registerFont(UnicodeCIDFont(FONT))
    return FONT


def _draw_qr(page: canvas.Canvas, payload: str, x: float, y: float) -> None:
    """The QR code of `payload` in a QR_SIZE square whose lower left corner is (x, y)."""
    matrix = segno.make(payload, error="m", micro=False).matrix
    quiet = 4  # modules of white border the standard asks for
    module = QR_SIZE / (len(matrix) + 2 * quiet)
    path = page.beginPath()
    for row, modules in enumerate(matrix):
        for column, dark in enumerate(modules):
            if dark:
                left = x + (column + quiet) * module
                path.rect(left, y + QR_SIZE - (row + quiet + 1) * module, module, module)
    page.setFillColorRGB(0, 0, 0)
    page.drawPath(path, stroke=0, fill=1)


def _wrapped(text: str, width: float, size: float) -> list[str]:
    """Split text into lines that fit `width` (CJK text breaks anywhere)."""
    lines, line = [], ""
    for char in text:
        if pdfmetrics.stringWidth(line + char, FONT, size) > width:
            lines.append(line)
            line = ""
        line += char
    return [*lines, line] if line else lines


def render_pdf(certificate: Certificate, verify_url: str) -> bytes:
    """The certificate as a one-page PDF for its holder (full names and numbers)."""
    font = _font()
    buffer = io.BytesIO()
    page = canvas.Canvas(buffer, pagesize=A4, pageCompression=1)
    page.setTitle(f"{certificate.kind_name} {certificate.number}")
    page.setAuthor(certificate.issuer_name)
    page.setSubject("电子证照 electronic certificate")
    width, height = A4
    page.setStrokeColorRGB(0.55, 0.1, 0.1)
    page.setLineWidth(2)
    page.rect(15 * mm, 15 * mm, width - 30 * mm, height - 30 * mm)
    page.setFont(font, 28)
    page.drawCentredString(width / 2, height - 45 * mm, certificate.kind_name)
    page.setFont(font, 11)
    page.drawCentredString(width / 2, height - 55 * mm, f"证照编号：{certificate.number}")

    spec = BY_CODE.get(certificate.kind)
    holder_label = "持证人" if certificate.holder_type == "person" else "持证主体"
    id_label = "公民身份号码" if certificate.holder_type == "person" else "统一社会信用代码"
    rows = [(holder_label, certificate.holder_name), (id_label, certificate.holder_id)]
    rows += [
        (face.label, str(certificate.fields[face.key]))
        for face in (spec.fields if spec else ())
        if face.key in certificate.fields
    ]
    until = certificate.valid_until.isoformat() if certificate.valid_until else "长期"
    rows += [("有效期", f"{certificate.valid_from.isoformat()} 至 {until}")]
    rows += [("发证机关", certificate.issuer_name)]

    y = height - 75 * mm
    label_x, value_x, value_width = 28 * mm, 70 * mm, width - 98 * mm
    for label, value in rows:
        page.setFont(font, 12)
        page.drawString(label_x, y, label)
        for line in _wrapped(value, value_width, 12) or [""]:
            page.drawString(value_x, y, line)
            y -= 7 * mm
        y -= 2 * mm

    _draw_qr(page, verify_url, width - 30 * mm - QR_SIZE, 25 * mm)
    page.setFont(font, 9)
    notes = [
        f"签发时间：{certificate.issued_at.astimezone(SHANGHAI):%Y-%m-%d %H:%M:%S}（北京时间）",
        f"签名算法：{certificate.document['algorithm']}　密钥：{certificate.document['key_id']}",
        "扫描右侧二维码或访问以下地址核验真伪：",
        verify_url,
    ]
    for offset, note in enumerate(notes):
        page.drawString(25 * mm, 55 * mm - offset * 6 * mm, note)
    page.showPage()
    page.save()
    return buffer.getvalue()
