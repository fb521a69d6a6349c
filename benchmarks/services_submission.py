"""一网通办 submission: a case whose four materials the platform fetches through the governed
gateway from three departments' own databases (公安 people, 人社 social insurance, 民政
low-income and marriages), against the same submission with the four materials uploaded by
the applicant instead (four 100 KB PDFs checked and stored), measured in the same run.

Both run in-process through the service layer, one applicant at a time, on SQLite: p50/p99
per submission and submissions per second; the ratio says what the data running costs.

    .venv/bin/python benchmarks/services_submission.py                # 300 of each
    .venv/bin/python benchmarks/services_submission.py --cases 100
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.harness import percentile
from sqlalchemy import select
from sqlalchemy.orm import Session

from zhuyun.core.db import Database
from zhuyun.core.ledger import SYSTEM
from zhuyun.core.settings import Settings
from zhuyun.demo.builder import build_demo
from zhuyun.demo.scale import ScaleName
from zhuyun.demo.services import _grant
from zhuyun.exchange.models import Binding
from zhuyun.identity import service as identity
from zhuyun.identity.permissions import Role
from zhuyun.services.models import Case
from zhuyun.services.service import cases, items, uploads
from zhuyun.services.service.items import ItemDraft, MaterialDraft

FETCHED = (
    ("居民身份证", "people", "id_number", ("name", "sex", "birth_date", "address")),
    ("参保缴费记录", "social_insurance", "id_number", ("insurance_type", "status", "started_on")),
    ("最低生活保障信息", "low_income", "id_number", ("kind", "monthly_amount", "since")),
    ("结婚证", "marriages", "wife_id_number", ("certificate_no", "registered_on")),
)
PDF = b"%PDF-1.4\n" + b"0" * (100 * 1024) + b"\n%%EOF\n"


def _publish(session: Session, unit_id: int) -> None:
    """The two items compared, and the unit's grants to read the four resources."""
    rows = session.execute(select(Binding.table_name, Binding.resource_id)).all()
    resources = {table: resource_id for table, resource_id in rows}
    admin_account = identity.find_account(session, "admin")
    assert admin_account is not None
    admin = identity.principal_for(admin_account)
    fetched = [
        MaterialDraft(name, "shared", resources[table], key, "applicant.id_number", info)
        for name, table, key, info in FETCHED
    ]
    uploaded = [MaterialDraft(name, "upload") for name, *_ in FETCHED]
    for code, materials in (("BENCH-AUTO", fetched), ("BENCH-UPLOAD", uploaded)):
        draft = ItemDraft(
            code=code,
            name=code,
            item_type="公共服务",
            unit_id=unit_id,
            legal_basis="基准测试",
            conditions="—",
            statutory_days=20,
            promised_days=5,
            online_depth="全程网办",
            workflow_code="standard",
            materials=materials,
        )
        items.publish_item(session, SYSTEM, draft)
    for _name, table, key, info in FETCHED:
        _grant(session, admin, unit_id, resources[table], [*info, key])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cases", type=int, default=300)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(
            env="test", data_dir=Path(tmp), database_url=f"sqlite:///{tmp}/platform.sqlite"
        )
        print("building a test demo city …", flush=True)
        demo = build_demo(settings, ScaleName.TEST, 7)
        secret = settings.secret_key.get_secret_value()
        database = Database(settings.database_url)
        with database.session() as session:
            unit = identity.find_unit_by_code(session, "zjj")
            assert unit is not None
            _publish(session, unit.id)
            account = identity.find_account(session, demo.account(Role.CITIZEN).username)
            assert account is not None
            citizen = identity.principal_for(account)
        folder = uploads.uploads_dir(settings)

        def submit(session: Session, code: str) -> Case:
            submission = cases.Submission(code, {}, True, uuid.uuid4().hex)
            return cases.submit(session, secret, citizen, submission)[0]

        def auto() -> None:
            with database.session() as session:
                case = submit(session, "BENCH-AUTO")
                assert case.materials_spared >= 3, case.materials_spared

        def upload() -> None:
            with database.session() as session:
                case = submit(session, "BENCH-UPLOAD")
                for material in cases.case_materials(session, case):
                    uploads.upload(
                        session, folder, citizen, case, material.material_id,
                        "scan.pdf", "application/pdf", PDF,
                    )  # fmt: skip
                assert case.status == "processing"

        results: dict[str, tuple[float, float, float]] = {}
        for name, work in (("auto-fill (4 fetched, 3 departments)", auto),
                           ("uploaded (4 × 100 KB PDF)", upload)):  # fmt: skip
            for _ in range(10):
                work()  # warm-up: connectors, caches
            times = []
            start = time.perf_counter()
            for _ in range(args.cases):
                t0 = time.perf_counter()
                work()
                times.append((time.perf_counter() - t0) * 1000)
            elapsed = time.perf_counter() - start
            results[name] = (percentile(times, 0.5), percentile(times, 0.99), args.cases / elapsed)
        print(f"{'submission':40} {'p50 ms':>8} {'p99 ms':>8} {'cases/s':>8}")
        for name, (p50, p99, rate) in results.items():
            print(f"{name:40} {p50:8.1f} {p99:8.1f} {rate:8.1f}")
        (a50, _, arate), (u50, _, urate) = results.values()
        print(f"ratio auto/upload: p50 {a50 / u50:.2f}×, throughput {arate / urate:.2f}×")
        database.dispose()


if __name__ == "__main__":
    main()
