"""CKAN's `datastore_search` paging through a 1,000,000-row open dataset over HTTP, against
Datasette serving the same rows from the same SQLite file in the same run; then random
point queries by credit code from 1 and 8 concurrent clients.

The rows are a market regulator's business-licence register (营业执照): an 18-character
unified social credit code as the TEXT primary key, the enterprise's name, type, legal
representative, registered capital, dates, address, scope and status — one SQLite file in
the data dir's `sources/` folder, registered as the regulator's source and bound to a
published 无条件开放 catalog resource of the test-scale demo city (every item public).

zhuyun follows `_links.next` (its keyset `cursor`); Datasette follows `next_url`
(`_next=<credit code>`, its keyset on the primary key) — the same page size, the same
order (the key), the same rows: both runs hash every key they read and must agree.
Each side runs twice: with the total on every page (both defaults: CKAN's `total`,
Datasette's `filtered_table_rows_count`) and without (`include_total=false`, `_nocount=1`).

What the peer does not do: no open policy (published? opened? which items?), no masking,
no ledger entry (zhuyun seals one per page into the hash chain, in the request's
transaction), no rate limit (set off here: `ZHUYUN_OPENDATA_ANONYMOUS_RATE=0`).

    .venv/bin/python benchmarks/opendata_datastore.py [--rows 1000000] [--page 1000]
        [--lookups 2000] [--clients 1,8] [--workdir DIR]

`--workdir` keeps the built databases there and reuses them on the next run.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from pathlib import Path

import httpx

from harness import concurrently, free_port, percentile, serving, zhuyun_server
from zhuyun.catalog import service as catalog
from zhuyun.catalog.schemas import ItemDraft, ResourceDraft
from zhuyun.catalog.vocab import DataType, OpenType, Sensitivity, ShareType, UpdateCycle
from zhuyun.core.db import Database
from zhuyun.core.ledger import SYSTEM
from zhuyun.core.settings import Settings
from zhuyun.demo.builder import build_demo
from zhuyun.demo.scale import ScaleName
from zhuyun.exchange.connectors import SourceKind
from zhuyun.exchange.service import sources
from zhuyun.identity import service as identity
from zhuyun.identity.permissions import SYSTEM_PRINCIPAL
from zhuyun.opendata.service import dataset_name

TABLE = "licences"
COLUMNS = (
    ("credit_code", "统一社会信用代码", DataType.STRING, "TEXT PRIMARY KEY"),
    ("name", "企业名称", DataType.STRING, "TEXT NOT NULL"),
    ("entity_type", "市场主体类型", DataType.STRING, "TEXT"),
    ("legal_rep_name", "法定代表人", DataType.STRING, "TEXT"),
    ("registered_capital_wan", "注册资本（万元）", DataType.DECIMAL, "REAL"),
    ("established_on", "成立日期", DataType.DATE, "TEXT"),
    ("address", "住所", DataType.STRING, "TEXT"),
    ("business_scope", "经营范围", DataType.STRING, "TEXT"),
    ("issued_on", "发照日期", DataType.DATE, "TEXT"),
    ("licence_status", "登记状态", DataType.STRING, "TEXT"),
)

# -- the register -----------------------------------------------------------------------------

DISTRICTS = ("南明区", "云岩区", "花溪区", "乌当区", "白云区", "观山湖区", "清镇市", "修文县")
ROADS = ("中华北路", "遵义路", "宝山南路", "北京路", "花溪大道", "林城西路", "金阳南路", "浣纱路")
WORDS = (
    "黔", "筑", "林城", "云", "鑫", "华", "泰", "恒", "瑞", "达", "盛", "源", "宏", "聚", "博",
    "信", "安", "兴", "德", "和", "嘉", "明", "丰", "远", "诚", "山", "水", "阳", "晨", "新",
)  # fmt: skip
TRADES = (
    ("科技", "软件开发；信息技术咨询服务；数据处理和存储支持服务"),
    ("商贸", "日用百货、五金交电、建筑材料销售"),
    ("餐饮管理", "餐饮服务；食品销售；餐饮管理"),
    ("建筑工程", "房屋建筑和市政基础设施项目工程总承包"),
    ("农业开发", "蔬菜、水果种植；农产品初加工"),
    ("物流", "普通货物道路运输；仓储服务（不含危险化学品）"),
    ("文化传媒", "广告设计、制作、代理；文艺创作"),
    ("大数据", "大数据服务；互联网数据服务；云计算装备技术服务"),
)
TYPES = (
    "有限责任公司（自然人投资或控股）", "有限责任公司（自然人独资）", "股份有限公司（非上市）",
    "个人独资企业", "有限合伙企业", "有限责任公司分公司",
)  # fmt: skip
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰红鹏飞云雪梅"
STATUSES = ("存续", "存续", "存续", "存续", "在业", "吊销", "注销", "迁出")


def licence_rows(count: int, seed: int) -> Iterator[tuple[object, ...]]:
    """`count` licences in key order (credit codes increasing, with gaps)."""
    rng = random.Random(seed)
    epoch = date(1995, 1, 1)
    number = 10**11
    for _ in range(count):
        number += rng.randint(1, 997)
        district = rng.choice(DISTRICTS)
        trade, scope = rng.choice(TRADES)
        brand = "".join(rng.sample(WORDS, 2))
        established = epoch + timedelta(days=rng.randrange(11_000))
        yield (
            f"91520{number:012d}{rng.choice('0123456789ABCDEFGHJKLMNPQRTUWXY')}",
            f"贵州{brand}{trade}有限公司"
            if rng.random() < 0.7
            else f"贵阳{district}{brand}{trade}部",
            rng.choice(TYPES),
            rng.choice(SURNAMES) + "".join(rng.sample(GIVEN, rng.randint(1, 2))),
            round(rng.choice((10, 50, 100, 200, 500, 1000, 5000)) * rng.random() + 1, 2),
            established.isoformat(),
            f"贵州省贵阳市{district}{rng.choice(ROADS)}{rng.randint(1, 399)}号",
            scope,
            (established + timedelta(days=rng.randrange(3000))).isoformat(),
            rng.choice(STATUSES),
        )


def write_source(path: Path, count: int, seed: int) -> None:
    path.unlink(missing_ok=True)
    with sqlite3.connect(path) as connection:
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute(
            f"CREATE TABLE {TABLE} ("
            + ", ".join(f"{name} {sql}" for name, _, _, sql in COLUMNS)
            + ")"
        )
        rows = licence_rows(count, seed)
        while batch := [row for _, row in zip(range(100_000), rows, strict=False)]:
            connection.executemany(f"INSERT INTO {TABLE} VALUES ({', '.join('?' * 10)})", batch)
        connection.execute(f"ANALYZE {TABLE}")


def publish(settings: Settings, source_file: Path) -> str:
    """Register the file as the market regulator's source; publish its open resource, bound
    to the table. Returns the CKAN resource id."""
    database = Database(settings.database_url)
    key = settings.secret_key.get_secret_value()
    with database.session() as session:
        unit = identity.find_unit_by_code(session, "scjg")
        assert unit is not None
        source = sources.register_source(
            session, SYSTEM_PRINCIPAL, key, unit.id,
            sources.SourceDraft("营业执照登记库（基准）", SourceKind.SQLITE,
                                f"sqlite:///{source_file.resolve()}"),
            source_dirs=(settings.sources_dir,),
        )  # fmt: skip
        resource = catalog.create_draft(
            session,
            SYSTEM,
            ResourceDraft(
                provider_unit_id=unit.id,
                name="营业执照登记信息（基准）",
                summary="全市市场主体营业执照的照面信息，供基准测试。",
                share_type=ShareType.UNCONDITIONAL,
                open_type=OpenType.OPEN,
                update_cycle=UpdateCycle.DAILY,
                items=[
                    ItemDraft(field=f, name=label, data_type=t, sensitivity=Sensitivity.PUBLIC)
                    for f, label, t, _ in COLUMNS
                ],
            ),
        )
        catalog.publish(session, SYSTEM, resource.id)
        sources.bind_resource(
            session, SYSTEM_PRINCIPAL, key, resource.id,
            sources.BindingDraft(source.id, TABLE, "credit_code"),
        )  # fmt: skip
        code = resource.code
    database.dispose()
    return f"{dataset_name(code)}-data"


def prepare(workdir: Path, rows: int, seed: int) -> tuple[Settings, Path, str]:
    settings = Settings(
        env="test", data_dir=workdir, database_url=f"sqlite:///{workdir / 'platform.sqlite'}"
    )
    source_file = settings.sources_dir / f"{TABLE}.sqlite"
    marker = workdir / "datastore-built"
    if marker.exists():
        print(f"reusing the databases in {workdir}")
        return settings, source_file, marker.read_text()
    start = time.perf_counter()
    build_demo(settings, ScaleName.TEST, seed)
    print(f"demo city (test scale) built in {time.perf_counter() - start:.1f} s")
    start = time.perf_counter()
    write_source(source_file, rows, seed)
    size = source_file.stat().st_size / 2**20
    print(f"{rows:,} licences written in {time.perf_counter() - start:.1f} s ({size:.0f} MiB)")
    resource_id = publish(settings, source_file)
    marker.write_text(resource_id)
    return settings, source_file, resource_id


# -- the run ----------------------------------------------------------------------------------


class Walk:
    """One pass through the whole table: pages, rows, per-page latencies, a hash of keys."""

    def __init__(self) -> None:
        self.latencies: list[float] = []
        self.rows = 0
        self.keys = hashlib.sha256()
        self.seconds = 0.0

    def page(self, http: httpx.Client, url: str, params: dict[str, str] | None = None) -> object:
        start = time.perf_counter()
        response = http.get(url, params=params)
        body = response.json()
        self.latencies.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, response.text[:300]
        return body


def walk_zhuyun(base: str, resource_id: str, page: int, totals: bool) -> Walk:
    walk = Walk()
    start = time.perf_counter()
    params = {"resource_id": resource_id, "limit": str(page)}
    if not totals:
        params["include_total"] = "false"
    with httpx.Client(base_url=base, timeout=60) as http:
        url: str | None = "/api/3/action/datastore_search"
        query: dict[str, str] | None = params
        while url:
            result = walk.page(http, url, query)["result"]  # type: ignore[index]
            records = result["records"]
            walk.rows += len(records)
            walk.keys.update("".join(r["credit_code"] for r in records).encode())
            url, query = (result["_links"]["next"] if len(records) == page else None), None
    walk.seconds = time.perf_counter() - start
    return walk


def walk_datasette(base: str, page: int, totals: bool) -> Walk:
    walk = Walk()
    start = time.perf_counter()
    params = {"_size": str(page), "_shape": "objects"}
    if not totals:
        params["_nocount"] = "1"
    with httpx.Client(base_url=base, timeout=60) as http:
        url: str | None = f"/{TABLE}/{TABLE}.json"
        query: dict[str, str] | None = params
        while url:
            body = walk.page(http, url, query)
            rows = body["rows"]  # type: ignore[index]
            walk.rows += len(rows)
            walk.keys.update("".join(r["credit_code"] for r in rows).encode())
            url, query = body["next_url"], None  # type: ignore[index]
    walk.seconds = time.perf_counter() - start
    return walk


def lookups(
    clients: int, keys: list[str], one: Callable[[httpx.Client, str], None], base: str
) -> tuple[float, list[float]]:
    def work(client: int) -> list[float]:
        mine = []
        with httpx.Client(base_url=base, timeout=60) as http:
            for key in keys[client::clients]:
                start = time.perf_counter()
                one(http, key)
                mine.append((time.perf_counter() - start) * 1000)
        return mine

    return concurrently(clients, work)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--page", type=int, default=1000)
    parser.add_argument("--lookups", type=int, default=2000)
    parser.add_argument("--clients", default="1,8", help="point-query concurrency levels")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--workdir", type=Path, default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        workdir = args.workdir or Path(tmp)
        workdir.mkdir(parents=True, exist_ok=True)
        settings, source_file, resource_id = prepare(workdir, args.rows, args.seed)
        with sqlite3.connect(source_file) as connection:
            every = [r[0] for r in connection.execute(f"SELECT credit_code FROM {TABLE}")]
        keys = random.Random(args.seed).sample(every, min(args.lookups, len(every)))
        zhuyun_port, datasette_port = free_port(), free_port()
        zhuyun, env = zhuyun_server(settings.database_url, str(workdir), zhuyun_port)
        datasette = [
            str(Path(sys.executable).parent / "datasette"), "serve", str(source_file),
            "--port", str(datasette_port), "--setting", "max_returned_rows", str(args.page),
            "--setting", "sql_time_limit_ms", "60000", "--setting", "suggest_facets", "off",
        ]  # fmt: skip
        zhuyun_base = f"http://127.0.0.1:{zhuyun_port}"
        datasette_base = f"http://127.0.0.1:{datasette_port}"
        with (
            serving(zhuyun, env, f"{zhuyun_base}/api/health"),
            serving(datasette, env, f"{datasette_base}/-/versions.json"),
        ):
            report(args, resource_id, zhuyun_base, datasette_base, keys)


def report(
    args: argparse.Namespace, resource_id: str, zhuyun: str, datasette: str, keys: list[str]
) -> None:
    print(f"paging through {args.rows:,} rows × {len(COLUMNS)} columns, {args.page:,} a page, "
          f"one client, one uvicorn worker; Datasette {_version(datasette)}")  # fmt: skip
    with httpx.Client(base_url=zhuyun) as ours, httpx.Client(base_url=datasette) as theirs:
        for _ in range(5):  # warm up: first pages, connections, caches
            ours.get("/api/3/action/datastore_search", params={"resource_id": resource_id})
            theirs.get(f"/{TABLE}/{TABLE}.json", params={"_size": str(args.page)})
    header = (
        f"{'totals':<7}{'server':<10}{'s':>7}{'rows/s':>9}{'pages/s':>9}{'p50 ms':>8}{'p99 ms':>8}"
    )
    print(header)
    for totals in (True, False):
        walks = {
            "zhuyun": walk_zhuyun(zhuyun, resource_id, args.page, totals),
            "Datasette": walk_datasette(datasette, args.page, totals),
        }
        hashes = {walk.keys.hexdigest() for walk in walks.values()}
        assert len(hashes) == 1, "the two servers read different rows"
        for label, walk in walks.items():
            assert walk.rows == args.rows, (label, walk.rows)
            ms = walk.latencies
            print(f"{'yes' if totals else 'no':<7}{label:<10}{walk.seconds:>7.1f}"
                  f"{walk.rows / walk.seconds:>9,.0f}{len(ms) / walk.seconds:>9.1f}"
                  f"{percentile(ms, 0.5):>8.1f}{percentile(ms, 0.99):>8.1f}")  # fmt: skip
        ratio = walks["Datasette"].seconds / walks["zhuyun"].seconds
        print(f"{'':<7}ratio     {ratio:>6.2f}× Datasette's rows/s")

    def ours(http: httpx.Client, key: str) -> None:
        response = http.get(
            "/api/3/action/datastore_search",
            params={"resource_id": resource_id, "filters": json.dumps({"credit_code": key})},
        )
        assert response.status_code == 200, response.text[:300]
        assert response.json()["result"]["records"][0]["credit_code"] == key

    def theirs(http: httpx.Client, key: str) -> None:
        response = http.get(
            f"/{TABLE}/{TABLE}.json", params={"credit_code": key, "_shape": "objects"}
        )
        assert response.status_code == 200, response.text[:300]
        assert response.json()["rows"][0]["credit_code"] == key

    for clients in (int(c) for c in args.clients.split(",")):
        print(f"point queries by credit code: {len(keys):,} from {clients} client(s)")
        results = {}
        for label, base, one in (("zhuyun", zhuyun, ours), ("Datasette", datasette, theirs)):
            lookups(clients, keys[:200], one, base)  # warm up
            rate, ms = lookups(clients, keys, one, base)
            results[label] = rate
            p50, p99, mean = percentile(ms, 0.5), percentile(ms, 0.99), statistics.mean(ms)
            print(f"  {label:<10}{rate:>8.0f}/s  p50 {p50:.1f} ms  p99 {p99:.1f} ms  "
                  f"mean {mean:.1f} ms")  # fmt: skip
        print(f"  ratio     {results['zhuyun'] / results['Datasette']:.2f}× Datasette's throughput")


def _version(base: str) -> str:
    return str(httpx.get(f"{base}/-/versions.json").json()["datasette"]["version"])


if __name__ == "__main__":
    main()
