"""CKAN's `package_search` over 10,000 published open datasets, over HTTP, at 1 and 8
concurrent clients, against Datasette serving the same 10,000 datasets from a SQLite file
in the same run.

The platform database is the test-scale demo city plus `--datasets` resources published
through the catalog service (drafted and published in batches, one transaction per batch,
each with its ledger entries and search terms), with Chinese names, summaries, items and
themes from a seeded generator, spread over the city's departments.

The peer is Datasette — another JSON API over SQLite that answers a search with a count, a
page and facet counts — serving a table of the same datasets (name, title, notes,
organisation, tags, groups, modified) with an FTS5 index of the same jieba terms the
catalog's search uses. Each zhuyun query has its Datasette counterpart:

| query | zhuyun | Datasette |
|---|---|---|
| all, first page | `rows=10` | `_size=10` |
| one word | `q=<word>&rows=10` | `_search=<word>&_size=10` |
| organisation | `fq=organization:<org>&rows=10` | `<organization>=<org>&_size=10` |
| facets | `facet.field=["organization","tags"]` | `_facet=organization&_facet_array=tags` |
| 100 rows | `rows=100` | `_size=100` |
| deep page | `start=9000&rows=10` | `_next=9000&_size=10` (keyset on rowid) |

What the peer does not do: no policy (which datasets are public is decided when the file is
written), no CKAN shapes (a row of 7 columns, not a package with its organisation, tags,
groups, extras and resource), and its deep page is a keyset seek where CKAN's `start` is
an offset.

    .venv/bin/python benchmarks/opendata_package_search.py [--datasets 10000]
        [--requests 400] [--clients 1,8] [--workdir DIR]

`--workdir` keeps the built databases there and reuses them on the next run.
"""

from __future__ import annotations

import argparse
import json
import random
import sqlite3
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx

from harness import concurrently, free_port, percentile, serving, zhuyun_server
from zhuyun.catalog import service as catalog
from zhuyun.catalog.schemas import ItemDraft, ResourceDraft
from zhuyun.catalog.search import index_terms, query_groups
from zhuyun.catalog.vocab import (
    THEMES,
    BaseLibrary,
    DataType,
    OpenType,
    Sensitivity,
    ShareType,
    UpdateCycle,
)
from zhuyun.core.db import Database
from zhuyun.core.ledger import SYSTEM
from zhuyun.core.settings import Settings
from zhuyun.demo.builder import build_demo
from zhuyun.demo.scale import ScaleName
from zhuyun.identity import service as identity
from zhuyun.opendata import service as opendata

BATCH = 500
WORDS = ("营业执照", "空气质量", "公交", "医疗机构", "学校", "行政处罚", "停车场", "养老")

# -- the generator ----------------------------------------------------------------------------

PLACES = (
    "南明区", "云岩区", "花溪区", "乌当区", "白云区", "观山湖区", "清镇市", "修文县",
    "息烽县", "开阳县", "贵阳市", "贵安新区",
)  # fmt: skip
SUBJECTS = (
    ("营业执照", "企业营业执照的登记事项与状态", "信用体系"),
    ("空气质量", "空气质量监测站点的小时浓度与指数", "生态环保"),
    ("水质监测", "地表水与饮用水水源地的水质监测结果", "生态环保"),
    ("公交线路", "公交线路、站点、首末班时间与票价", "公共服务"),
    ("公交站点", "公交站点的位置与途经线路", "公共服务"),
    ("停车场", "公共停车场的位置、泊位数和收费标准", "城乡建设"),
    ("医疗机构", "医疗机构的名称、等级、地址与诊疗科目", "健康保障"),
    ("药品零售企业", "药品零售企业的许可与经营范围", "食品药品安全"),
    ("食品经营许可", "食品经营许可证的许可对象与有效期", "食品药品安全"),
    ("学校", "中小学校与幼儿园的学段、地址和招生范围", "公共服务"),
    ("养老机构", "养老机构的床位、收费与等级评定", "社会保障"),
    ("行政处罚", "行政处罚决定书的案由、依据与结果", "信用体系"),
    ("行政许可", "行政许可决定的许可事项与有效期", "信用体系"),
    ("安全生产检查", "安全生产监督检查的对象、问题与整改情况", "安全生产"),
    ("建筑工地扬尘", "建筑工地扬尘在线监测数据", "生态环保"),
    ("农产品价格", "农贸市场主要农产品的零售价格", "价格监管"),
    ("燃气供应", "燃气供应企业与服务网点信息", "能源安全"),
    ("避难场所", "应急避难场所的位置与容纳人数", "应急维稳"),
    ("社区服务中心", "社区服务中心的地址、服务项目与开放时间", "社区治理"),
    ("旅游景区", "A 级旅游景区的等级、地址与开放时间", "公共服务"),
    ("公共厕所", "城市公共厕所的位置与开放时间", "城乡建设"),
    ("充电桩", "新能源汽车公共充电桩的位置与数量", "能源安全"),
    ("文物保护单位", "各级文物保护单位的名称、级别与位置", "公共服务"),
    ("招聘岗位", "公共就业服务机构发布的招聘岗位", "社会保障"),
)  # fmt: skip
KINDS = (("信息", "名录"), ("数据", "统计"), ("目录", "清单"), ("信息", "月报"))
FIELDS = (
    ("name", "名称", DataType.STRING), ("address", "地址", DataType.STRING),
    ("district", "所属区县", DataType.STRING), ("phone", "联系电话", DataType.STRING),
    ("longitude", "经度", DataType.DECIMAL), ("latitude", "纬度", DataType.DECIMAL),
    ("opened_on", "开放日期", DataType.DATE), ("status", "状态", DataType.STRING),
    ("amount", "数量", DataType.INTEGER), ("updated_at", "更新时间", DataType.DATETIME),
)  # fmt: skip
LIBRARIES = (None, None, None, BaseLibrary.CREDIT, BaseLibrary.LICENCE)


def dataset_drafts(count: int, departments: list[int], seed: int) -> Iterator[ResourceDraft]:
    """`count` open datasets with Chinese names, summaries, items and themes."""
    rng = random.Random(seed)
    for n in range(count):
        place = rng.choice(PLACES)
        subject, what, theme = rng.choice(SUBJECTS)
        kind = rng.choice(rng.choice(KINDS))
        year = rng.randint(2015, 2026)
        items = rng.sample(FIELDS, rng.randint(3, 8))
        conditional = rng.random() < 0.15
        themes = [theme, *rng.sample(THEMES, rng.randint(0, 2))]
        yield ResourceDraft(
            provider_unit_id=departments[n % len(departments)],
            name=f"{place}{subject}{kind}（{year}年·{n + 1}）",
            summary=(
                f"{place}{what}，{year}年起按{rng.choice(['日', '月', '季度', '年'])}更新，"
                f"供公众和开发者查询、下载与开发利用。"
            ),
            share_type=ShareType.UNCONDITIONAL,
            open_type=OpenType.CONDITIONAL if conditional else OpenType.OPEN,
            open_conditions="经实名注册并签署数据使用协议后获取。" if conditional else "",
            update_cycle=rng.choice(list(UpdateCycle)),
            themes=list(dict.fromkeys(themes)),
            items=[
                ItemDraft(
                    field=field, name=label, data_type=data_type, sensitivity=Sensitivity.PUBLIC
                )
                for field, label, data_type in items
            ],
        )


def publish_datasets(settings: Settings, count: int, seed: int) -> float:
    """Draft and publish `count` datasets through the catalog service, `BATCH` per
    transaction. Returns the seconds it took."""
    database = Database(settings.database_url)
    start = time.perf_counter()
    with database.session() as session:
        units, _ = identity.list_units(session, kind="department", limit=1000)
        departments = [u.id for u in units]
    drafts = dataset_drafts(count, departments, seed)
    done = 0
    while done < count:
        with database.session() as session:
            for draft in (next(drafts) for _ in range(min(BATCH, count - done))):
                resource = catalog.create_draft(session, SYSTEM, draft)
                catalog.publish(session, SYSTEM, resource.id)
                done += 1
        print(f"\r  published {done:,} of {count:,} datasets", end="", flush=True)
    print()
    database.dispose()
    return time.perf_counter() - start


def write_peer_file(settings: Settings, path: Path) -> int:
    """The public datasets as Datasette's table, with an FTS5 index of their jieba terms
    (the terms the catalog's search indexes: name, summary, items, organisation, tags)."""
    database = Database(settings.database_url)
    rows = []
    with database.session() as session:
        offset = 0
        while True:
            result = opendata.package_search(
                session, opendata.SearchQuery(rows=1000, start=offset, sort="name asc"), ""
            )
            if not result["results"]:
                break
            for package in result["results"]:
                tags = [t["name"] for t in package["tags"]]
                text = " ".join(
                    [
                        package["title"],
                        package["notes"],
                        package["organization"]["title"],
                        *tags,
                        *(f["info"]["label"] + " " + f["id"] for f in
                          package["resources"][0]["fields"]),
                    ]
                )  # fmt: skip
                rows.append(
                    (
                        package["name"], package["title"], package["notes"],
                        package["organization"]["name"], json.dumps(tags, ensure_ascii=False),
                        json.dumps([g["name"] for g in package["groups"]]),
                        package["metadata_modified"], " ".join(dict.fromkeys(index_terms(text))),
                    )
                )  # fmt: skip
            offset += 1000
    database.dispose()
    path.unlink(missing_ok=True)
    with sqlite3.connect(path) as connection:
        connection.executescript(
            "PRAGMA journal_mode=WAL;"
            "CREATE TABLE datasets (id INTEGER PRIMARY KEY, name TEXT UNIQUE, title TEXT, "
            "notes TEXT, organization TEXT, tags TEXT, groups TEXT, metadata_modified TEXT);"
            "CREATE INDEX datasets_organization ON datasets (organization);"
            "CREATE VIRTUAL TABLE datasets_fts USING fts5 (terms);"
        )
        for row in rows:
            cursor = connection.execute(
                "INSERT INTO datasets VALUES (NULL, ?, ?, ?, ?, ?, ?, ?)", row[:7]
            )
            connection.execute(
                "INSERT INTO datasets_fts (rowid, terms) VALUES (?, ?)", (cursor.lastrowid, row[7])
            )
    return len(rows)


def prepare(workdir: Path, count: int, seed: int) -> tuple[Settings, Path]:
    settings = Settings(
        env="test", data_dir=workdir, database_url=f"sqlite:///{workdir / 'platform.sqlite'}"
    )
    peer = workdir / "datasets.sqlite"
    if (workdir / "built").exists() and peer.exists():
        print(f"reusing the databases in {workdir}")
        return settings, peer
    start = time.perf_counter()
    build_demo(settings, ScaleName.TEST, seed)
    print(f"demo city (test scale) built in {time.perf_counter() - start:.1f} s")
    seconds = publish_datasets(settings, count, seed)
    print(f"{count:,} datasets drafted and published in {seconds:.1f} s "
          f"({count / seconds:.0f}/s)")  # fmt: skip
    written = write_peer_file(settings, peer)
    print(f"Datasette's table: {written:,} public datasets")
    (workdir / "built").write_text("ok")
    return settings, peer


# -- the run ----------------------------------------------------------------------------------


KINDS_OF_QUERY = (
    "all", "one word", "two words", "organization", "facets", "100 rows", "deep page"
)  # fmt: skip
Query = tuple[str, dict[str, str], dict[str, str]]  # kind, zhuyun params, Datasette params


def fts_search(text: str, vocabulary: set[str]) -> dict[str, str]:
    """The catalog's reading of a search as an FTS5 query: each word must match — itself
    when the index knows it, else one of the shorter words inside it."""
    groups = [[g[0]] if g[0] in vocabulary else g for g in query_groups(text)]
    match = " AND ".join("(" + " OR ".join(f'"{w}"' for w in g) + ")" for g in groups)
    return {"_search": match, "_searchmode": "raw"}


def query_mix(
    count: int, organizations: list[str], vocabulary: set[str], total: int, seed: int
) -> list[Query]:
    """`count` queries cycling through the kinds of the module's table."""
    rng = random.Random(seed)
    queries: list[Query] = []
    for n in range(count):
        kind = n % 7
        if kind == 1:
            word = rng.choice(WORDS)
            ours, theirs = {"q": word}, fts_search(word, vocabulary)
        elif kind == 2:
            words = f"{rng.choice(PLACES)} {rng.choice(SUBJECTS)[0]}"
            ours, theirs = {"q": words}, fts_search(words, vocabulary)
        elif kind == 3:
            org = rng.choice(organizations)
            ours, theirs = {"fq": f"organization:{org}"}, {"organization": org}
        elif kind == 4:
            ours = {"facet.field": '["organization","tags"]'}
            theirs = {"_facet": "organization", "_facet_array": "tags"}
        elif kind == 6:
            start = rng.randrange(total // 2, total - 10)
            ours, theirs = {"start": str(start)}, {"_next": str(start)}
        else:
            ours, theirs = {}, {}
        size = "100" if kind == 5 else "10"
        queries.append((KINDS_OF_QUERY[kind], {**ours, "rows": size}, {**theirs, "_size": size}))
    return queries


def run_clients(
    clients: int, calls: list[Query], one: Callable[[httpx.Client, Query], int], base: str
) -> tuple[float, list[tuple[str, float]]]:
    """`calls` spread over `clients` threads (one keep-alive connection each): calls per
    second and the latencies (kind, ms)."""

    def work(client: int) -> list[tuple[str, float]]:
        mine = []
        with httpx.Client(base_url=base, timeout=60) as http:
            for call in calls[client::clients]:
                start = time.perf_counter()
                one(http, call)
                mine.append((call[0], (time.perf_counter() - start) * 1000))
        return mine

    return concurrently(clients, work)


def zhuyun_call(http: httpx.Client, query: Query) -> int:
    response = http.get("/api/3/action/package_search", params=query[1])
    assert response.status_code == 200, response.text[:300]
    return int(response.json()["result"]["count"])


def datasette_call(http: httpx.Client, query: Query) -> int:
    response = http.get("/datasets/datasets.json", params=query[2])
    assert response.status_code == 200, response.text[:300]
    return int(response.json()["filtered_table_rows_count"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=700)
    parser.add_argument("--clients", default="1,8")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--workdir", type=Path, default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        workdir = args.workdir or Path(tmp)
        workdir.mkdir(parents=True, exist_ok=True)
        settings, peer_file = prepare(workdir, args.datasets, args.seed)
        with sqlite3.connect(peer_file) as connection:
            total = connection.execute("SELECT count(*) FROM datasets").fetchone()[0]
            organizations = [
                r[0] for r in connection.execute("SELECT DISTINCT organization FROM datasets")
            ]
            vocabulary = {
                term for (terms,) in connection.execute("SELECT terms FROM datasets_fts")
                for term in terms.split()
            }  # fmt: skip
        metadata = workdir / "datasette.json"
        metadata.write_text(json.dumps({"databases": {"datasets": {"tables": {"datasets": {
            "fts_table": "datasets_fts", "fts_pk": "id"}}}}}))  # fmt: skip
        zhuyun_port, datasette_port = free_port(), free_port()
        zhuyun, env = zhuyun_server(settings.database_url, str(workdir), zhuyun_port)
        datasette = [
            str(Path(sys.executable).parent / "datasette"), "serve", str(peer_file),
            "--port", str(datasette_port), "--metadata", str(metadata),
            "--setting", "suggest_facets", "off", "--setting", "max_returned_rows", "1000",
            "--setting", "sql_time_limit_ms", "10000",
            "--setting", "facet_time_limit_ms", "10000",
        ]  # fmt: skip
        zhuyun_base = f"http://127.0.0.1:{zhuyun_port}"
        datasette_base = f"http://127.0.0.1:{datasette_port}"
        queries = query_mix(args.requests, organizations, vocabulary, total, args.seed)
        with (
            serving(zhuyun, env, f"{zhuyun_base}/api/health"),
            serving(datasette, env, f"{datasette_base}/-/versions.json"),
        ):
            report(args, queries, zhuyun_base, datasette_base, total)


def report(
    args: argparse.Namespace, queries: list[Query], zhuyun: str, datasette: str, total: int
) -> None:
    print(f"package_search over {total:,} public datasets, {len(queries):,} queries per run "
          f"(a mix of {len({q[0] for q in queries})} kinds), one uvicorn worker")  # fmt: skip
    print("counts of one query of each kind (zhuyun / Datasette):")
    with (
        httpx.Client(base_url=zhuyun, timeout=60) as a,
        httpx.Client(base_url=datasette, timeout=60) as b,
    ):
        for query in {q[0]: q for q in queries}.values():
            print(f"  {query[0]:<13}{zhuyun_call(a, query):>7,} / {datasette_call(b, query):,}"
                  f"  {query[1]}")  # fmt: skip
    print(f"{'clients':>8} {'server':<10}{'queries/s':>10}{'p50 ms':>9}{'p99 ms':>9}")
    for clients in (int(c) for c in args.clients.split(",")):
        results = {}
        for label, base, call in (("zhuyun", zhuyun, zhuyun_call),
                                  ("Datasette", datasette, datasette_call)):  # fmt: skip
            run_clients(clients, queries[: max(70, len(queries) // 5)], call, base)  # warm up
            rate, latencies = run_clients(clients, queries, call, base)
            results[label] = (rate, latencies)
            ms = [m for _, m in latencies]
            print(f"{clients:>8} {label:<10}{rate:>10.0f}{percentile(ms, 0.5):>9.1f}"
                  f"{percentile(ms, 0.99):>9.1f}")  # fmt: skip
        ratio = results["zhuyun"][0] / results["Datasette"][0]
        print(f"{'':>8} ratio     {ratio:>9.2f}× Datasette's throughput")
        if clients == 1:
            by_kind = "  ".join(
                f"{kind} {percentile(zs, 0.5):.1f}/{percentile(ds, 0.5):.1f}"
                for kind in dict.fromkeys(q[0] for q in queries)
                for zs, ds in [[[ms for k, ms in results[label][1] if k == kind]
                                for label in ("zhuyun", "Datasette")]]
            )  # fmt: skip
            print(f"{'':>8} p50 ms by kind (zhuyun/Datasette): {by_kind}")


if __name__ == "__main__":
    main()
