"""Electronic certificates: issuing and verifying with Ed25519 against SM2 (gmssl, pure
Python) in the same run, end to end on the platform database (checks, canonical JSON,
signature, ledger) and for the bare signature; plus rendering the printable PDF.

    .venv/bin/python benchmarks/certificates_sign_verify.py --certificates 200
"""

from __future__ import annotations

import argparse
import io
import secrets
import tempfile
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

from reportlab.graphics import renderPDF
from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.graphics.shapes import Drawing
from reportlab.pdfgen import canvas

from harness import percentile
from zhuyun.core.db import Database
from zhuyun.core.ids import make_resident_id
from zhuyun.core.settings import Settings
from zhuyun.demo.builder import build_demo
from zhuyun.demo.scale import ScaleName
from zhuyun.identity import service as identity
from zhuyun.identity.permissions import SYSTEM_PRINCIPAL
from zhuyun.services.certificates import pdf, service, signing

FIELDS = {"sex": "女", "birth_date": "1990-01-02", "household_address": "贵阳市云岩区中华北路1号"}


def timed(count: int, work: Callable[[int], object]) -> tuple[float, list[float]]:
    """Calls per second and each call's milliseconds."""
    latencies = []
    started = time.perf_counter()
    for index in range(count):
        begun = time.perf_counter()
        work(index)
        latencies.append((time.perf_counter() - begun) * 1000)
    return count / (time.perf_counter() - started), latencies


def report(label: str, rate: float, latencies: list[float]) -> None:
    p50, p99 = percentile(latencies, 0.5), percentile(latencies, 0.99)
    print(f"{label:<34} {rate:>9,.0f}/s   p50 {p50:7.2f} ms   p99 {p99:7.2f} ms")


def _signer(algorithm: signing.Algorithm, data: bytes) -> tuple[Callable[[int], object], ...]:
    pair = signing.generate(algorithm)
    signature = signing.sign(algorithm, pair.private_b64, pair.public_b64, data)

    def sign(_index: int) -> object:
        return signing.sign(algorithm, pair.private_b64, pair.public_b64, data)

    def verify(_index: int) -> object:
        return signing.verify(algorithm, pair.public_b64, data, signature)

    return sign, verify


def primitives(count: int) -> None:
    document = {"number": "HJZM-2026-0000000000", "fields": FIELDS, "n": 1}
    data = signing.canonical(document)
    rates: dict[str, float] = {}
    for algorithm in signing.Algorithm:
        sign, verify = _signer(algorithm, data)
        for label, work in (("sign", sign), ("verify", verify)):
            rate, lat = timed(count, work)
            report(f"{label} {algorithm}", rate, lat)
            rates[f"{label} {algorithm}"] = rate
    print(f"SM2 / Ed25519 sign: {rates['sign sm2'] / rates['sign ed25519']:.4f}×, "
          f"verify: {rates['verify sm2'] / rates['verify ed25519']:.4f}×")  # fmt: skip
    rate, lat = timed(count * 10, lambda _i: signing.canonical(document))
    report("RFC 8785 canonical form", rate, lat)


def qr_codes(count: int) -> None:
    """The PDF's QR code: segno's matrix drawn as one path (ours) against reportlab's own
    QR widget (the peer), both encoding and drawing the same URL on a page."""
    url = "http://127.0.0.1:8000/certificates/verify/HJZM-2026-JG774PRQ0B"

    def ours(_index: int) -> None:
        page = canvas.Canvas(io.BytesIO())
        pdf._draw_qr(page, url, 0, 0)
        page.save()

    def peer(_index: int) -> None:
        page = canvas.Canvas(io.BytesIO())
        widget = QrCodeWidget(url, barLevel="M")
        left, bottom, right, top = widget.getBounds()
        size = pdf.QR_SIZE
        drawing = Drawing(size, size, transform=[size / (right - left), 0, 0,
                                                 size / (top - bottom), 0, 0])  # fmt: skip
        drawing.add(widget)
        renderPDF.draw(drawing, page, 0, 0)
        page.save()

    rate, lat = timed(count, ours)
    report("QR on a page: segno path", rate, lat)
    peer_rate, peer_lat = timed(count, peer)
    report("QR on a page: reportlab widget", peer_rate, peer_lat)
    print(f"segno / reportlab QR: {rate / peer_rate:.2f}×")


def end_to_end(database: Database, secret: str, count: int) -> None:
    with database.session() as session:
        unit = identity.find_unit_by_code(session, "gongan")
        assert unit is not None
        unit_id, unit_code = unit.id, unit.code
    numbers: dict[str, list[str]] = {}
    rates: dict[str, float] = {}
    for label, sm2_units in (("ed25519", ""), ("sm2", unit_code)):
        issued: list[str] = []

        def issue(index: int, sm2_units: str = sm2_units, issued: list[str] = issued) -> None:
            holder = make_resident_id("520102", date(1990, 1, 2), index % 999 + 1)
            with database.session() as session:
                certificate = service.issue_certificate(
                    session, kind="HJZM", issuer_unit_id=unit_id, holder_id=holder,
                    holder_name="测试", fields=FIELDS, case_ref=f"bench:{secrets.token_hex(8)}",
                    actor=SYSTEM_PRINCIPAL, secret_key=secret, sm2_units=sm2_units,
                )  # fmt: skip
                issued.append(certificate.number)

        rate, lat = timed(count, issue)
        report(f"issue ({label}, SQLite, ledgered)", rate, lat)
        rates[f"issue {label}"] = rate
        numbers[label] = issued
    for label, issued in numbers.items():

        def verify(index: int, issued: list[str] = issued) -> None:
            with database.session() as session:
                assert service.verify_number(session, issued[index % len(issued)]).valid

        rate, lat = timed(count, verify)
        report(f"verify by number ({label})", rate, lat)
        rates[f"verify {label}"] = rate
    print(f"SM2 / Ed25519 issue: {rates['issue sm2'] / rates['issue ed25519']:.2f}×, "
          f"verify: {rates['verify sm2'] / rates['verify ed25519']:.2f}×")  # fmt: skip

    with database.session() as session:
        certificate = service.get_certificate(session, numbers["ed25519"][0])
        url = f"http://127.0.0.1:8000/certificates/verify/{certificate.number}"
        rate, lat = timed(max(20, count // 5), lambda _i: pdf.render_pdf(certificate, url))
        report("render the certificate PDF", rate, lat)
        print(f"PDF size: {len(pdf.render_pdf(certificate, url)):,} bytes")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--certificates", type=int, default=200)
    args = parser.parse_args()
    print("-- signatures alone")
    primitives(args.certificates)
    print("-- the PDF's QR code")
    qr_codes(max(20, args.certificates // 5))
    with tempfile.TemporaryDirectory() as folder:
        data_dir = Path(folder)
        settings = Settings(
            env="test", data_dir=data_dir, database_url=f"sqlite:///{data_dir}/zhuyun.sqlite"
        )
        build_demo(settings, ScaleName.TEST, 7)
        database = Database(settings.database_url)
        print("-- end to end on the platform database")
        end_to_end(database, settings.secret_key.get_secret_value(), args.certificates)
        database.dispose()


if __name__ == "__main__":
    main()
