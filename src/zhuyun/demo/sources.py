"""The departments' own databases of the demo city: one SQLite file each, physically separate.

The platform never copies these: the exchange reaches into them. They agree with each other
the way a real city's registers do — the police register's people are the ones who marry at
civil affairs, give birth in the health commission's records, run the market regulator's
enterprises and pay into social insurance — so the block-data profiles have something to fuse.

People and households are generated as a stream, one batch at a time, so a city of a million
people never sits in memory. Names come from Faker's zh_CN tables, resident IDs and credit
codes pass their GB 11643 and GB 32100 checks.
"""

from __future__ import annotations

import itertools
import random
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

from faker.providers.person.zh_CN import Provider as ChineseNames
from faker.providers.phone_number.zh_CN import Provider as ChinesePhones

from zhuyun.core.divisions import GUIYANG, Division, children_of
from zhuyun.core.ids import make_credit_code, make_resident_id
from zhuyun.demo.departments import TRADE_NAMES
from zhuyun.demo.scale import Scale, communities_in_scale, streets_in_scale

Progress = Callable[[str, int, int], None]

# The day the demo city's registers are "as of": fixed, so the same seed builds the same city.
AS_OF = date(2026, 11, 1)
AS_OF_TEXT = "2026-11-01T08:00:00"
BATCH = 5_000

# Resident population of Guiyang's districts and counties, 7th census (2020), in thousands:
# the demo city spreads its people in the same proportions.
DISTRICT_POPULATION_2020 = {
    "520102": 1068, "520103": 1171, "520111": 733, "520112": 388, "520113": 390,
    "520115": 602, "520121": 371, "520122": 210, "520123": 303, "520181": 533,
}  # fmt: skip

# Birthplace area codes of people born outside Guiyang (other prefectures of Guizhou).
_OTHER_BIRTHPLACES = ("520201", "520302", "520402", "520502", "520602", "522601", "522701")

_ETHNICITIES = ("汉族", "苗族", "布依族", "侗族", "土家族", "彝族", "仡佬族", "水族")
_ETHNICITY_WEIGHTS = (75, 8, 8, 3, 2, 2, 1, 1)

# Real roads of each district, for addresses.
_ROADS = {
    "520102": ("中华南路", "遵义路", "解放路", "花果园大街", "新华路", "沙冲路", "都司路"),
    "520103": ("中华北路", "延安中路", "宝山北路", "黔灵西路", "北京路", "枣山路", "飞山街"),
    "520111": ("花溪大道", "清溪路", "田园路", "溪北路", "明珠大道"),
    "520112": ("新添大道", "新创路", "顺新路", "高新路"),
    "520113": ("白云大道", "云环路", "尖山路", "艳山红路"),
    "520115": ("金阳南路", "林城西路", "长岭北路", "观山西路", "诚信北路"),
    "520121": ("开州大道", "紫江路", "环城路"),
    "520122": ("永靖大道", "新华路", "迎宾路"),
    "520123": ("龙场大道", "阳明大道", "翠屏路"),
    "520181": ("云岭路", "百花路", "红枫大道", "麒龙路"),
}
_HOSPITALS = (
    "贵州医科大学附属医院", "贵州省人民医院", "贵阳市妇幼保健院", "贵阳市第一人民医院",
    "贵阳市第二人民医院", "贵州中医药大学第一附属医院", "贵阳市第四人民医院",
)  # fmt: skip
_INDUSTRIES = (
    ("餐饮", "餐饮管理"), ("零售", "商贸"), ("信息技术", "大数据科技"), ("信息技术", "软件"),
    ("建筑", "建筑工程"), ("物流", "物流"), ("农业", "农业开发"), ("制造", "机械制造"),
    ("住宿", "酒店管理"), ("文化旅游", "文化旅游"), ("医药", "医药"), ("教育培训", "教育咨询"),
)  # fmt: skip
_INSURANCE_TYPES = ("城镇职工基本养老保险", "城乡居民基本养老保险")
_VIOLATIONS = (
    ("未按规定公示年度报告", "警告"), ("销售过期食品", "罚款"), ("虚假宣传", "罚款"),
    ("无照经营", "罚款"), ("未明码标价", "警告"), ("计量器具未经检定", "罚款"),
    ("销售不合格产品", "没收违法所得、罚款"),
)  # fmt: skip
_LICENCE_STATUS = {"存续": "有效", "注销": "已注销", "吊销": "已吊销"}
PENALTY_RATE = 0.05  # of enterprises: the demo's 双公示 penalties


@dataclass(frozen=True)
class SourceTable:
    name: str
    ddl: str


@dataclass(frozen=True)
class SourceDatabase:
    """One department's database: the department's code and the file that holds it."""

    department: str
    file_name: str
    title: str
    tables: tuple[SourceTable, ...]


SOURCES: tuple[SourceDatabase, ...] = (
    SourceDatabase(
        "gongan",
        "gongan.sqlite",
        "人口基础信息库（公安户籍）",
        (
            SourceTable(
                "people",
                "CREATE TABLE people (id_number TEXT PRIMARY KEY, name TEXT NOT NULL, "
                "sex TEXT NOT NULL, birth_date TEXT NOT NULL, ethnicity TEXT NOT NULL, "
                "household_id TEXT NOT NULL, domicile_division_code TEXT NOT NULL, "
                "address TEXT NOT NULL, phone TEXT, updated_at TEXT NOT NULL)",
            ),
            SourceTable(
                "households",
                "CREATE TABLE households (household_id TEXT PRIMARY KEY, "
                "head_id_number TEXT NOT NULL, division_code TEXT NOT NULL, address TEXT NOT NULL, "
                "members INTEGER NOT NULL, registered_on TEXT NOT NULL)",
            ),
        ),
    ),
    SourceDatabase(
        "scjg",
        "scjg.sqlite",
        "市场主体登记信息库（市场监管）",
        (
            SourceTable(
                "enterprises",
                "CREATE TABLE enterprises (credit_code TEXT PRIMARY KEY, name TEXT NOT NULL, "
                "entity_type TEXT NOT NULL, legal_rep_id_number TEXT NOT NULL, "
                "legal_rep_name TEXT NOT NULL, registered_capital_wan REAL NOT NULL, "
                "established_on TEXT NOT NULL, division_code TEXT NOT NULL, address TEXT NOT NULL, "
                "industry TEXT NOT NULL, status TEXT NOT NULL, updated_at TEXT NOT NULL)",
            ),
            # The faces of the business licences and the penalties: opened to the public.
            SourceTable(
                "business_licences",
                "CREATE TABLE business_licences (credit_code TEXT PRIMARY KEY, "
                "name TEXT NOT NULL, entity_type TEXT NOT NULL, legal_rep_name TEXT NOT NULL, "
                "registered_capital_wan REAL NOT NULL, established_on TEXT NOT NULL, "
                "business_scope TEXT NOT NULL, address TEXT NOT NULL, issued_on TEXT NOT NULL, "
                "licence_status TEXT NOT NULL)",
            ),
            SourceTable(
                "market_penalties",
                "CREATE TABLE market_penalties (decision_no TEXT PRIMARY KEY, "
                "party_name TEXT NOT NULL, credit_code TEXT NOT NULL, violation TEXT NOT NULL, "
                "penalty_type TEXT NOT NULL, fine_amount REAL NOT NULL, "
                "decided_on TEXT NOT NULL, authority TEXT NOT NULL)",
            ),
        ),
    ),
    SourceDatabase(
        "rsj",
        "rsj.sqlite",
        "社会保险参保信息库（人社）",
        (
            SourceTable(
                "social_insurance",
                "CREATE TABLE social_insurance (id_number TEXT NOT NULL, name TEXT NOT NULL, "
                "insurance_type TEXT NOT NULL, employer_credit_code TEXT, "
                "started_on TEXT NOT NULL, status TEXT NOT NULL, monthly_base REAL NOT NULL, "
                "PRIMARY KEY (id_number, insurance_type))",
            ),
        ),
    ),
    SourceDatabase(
        "mzj",
        "mzj.sqlite",
        "婚姻登记与社会救助信息库（民政）",
        (
            SourceTable(
                "marriages",
                "CREATE TABLE marriages (certificate_no TEXT PRIMARY KEY, "
                "husband_id_number TEXT NOT NULL, wife_id_number TEXT NOT NULL, "
                "registered_on TEXT NOT NULL, division_code TEXT NOT NULL)",
            ),
            SourceTable(
                "low_income",
                "CREATE TABLE low_income (id_number TEXT PRIMARY KEY, household_id TEXT NOT NULL, "
                "kind TEXT NOT NULL, monthly_amount REAL NOT NULL, since TEXT NOT NULL)",
            ),
        ),
    ),
    SourceDatabase(
        "wjw",
        "wjw.sqlite",
        "出生医学证明信息库（卫健）",
        (
            SourceTable(
                "births",
                "CREATE TABLE births (certificate_no TEXT PRIMARY KEY, "
                "child_id_number TEXT NOT NULL, child_name TEXT NOT NULL, "
                "mother_id_number TEXT NOT NULL, father_id_number TEXT NOT NULL, "
                "birth_date TEXT NOT NULL, hospital TEXT NOT NULL)",
            ),
        ),
    ),
)


@dataclass
class SourcesSummary:
    """What the department databases hold, for the dashboard's key figures."""

    population_by_district: dict[str, int] = field(default_factory=dict)
    enterprises_by_district: dict[str, int] = field(default_factory=dict)
    households: int = 0
    files: dict[str, Path] = field(default_factory=dict)


@dataclass(frozen=True)
class _Person:
    id_number: str
    name: str
    sex: str  # "男" or "女"
    birth: date


class _Writer:
    """Batched inserts into the source files; a fresh build needs no journal."""

    def __init__(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self.connections: dict[str, sqlite3.Connection] = {}
        self.pending: dict[str, list[tuple[object, ...]]] = {}
        self.placeholders: dict[str, str] = {}
        self.table_file: dict[str, str] = {}
        self.paths: dict[str, Path] = {}
        for source in SOURCES:
            path = directory / source.file_name
            for suffix in ("", "-wal", "-shm", "-journal"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
            connection = sqlite3.connect(path)
            connection.execute("PRAGMA journal_mode=OFF")
            connection.execute("PRAGMA synchronous=OFF")
            for table in source.tables:
                connection.execute(table.ddl)
                columns = len(connection.execute(f"PRAGMA table_info({table.name})").fetchall())
                self.placeholders[table.name] = ",".join("?" * columns)
                self.table_file[table.name] = source.department
                self.pending[table.name] = []
            self.connections[source.department] = connection
            self.paths[source.department] = path

    def add(self, table: str, row: tuple[object, ...]) -> None:
        rows = self.pending[table]
        rows.append(row)
        if len(rows) >= BATCH:
            self._flush(table)

    def _flush(self, table: str) -> None:
        rows = self.pending[table]
        if rows:
            connection = self.connections[self.table_file[table]]
            connection.executemany(f"INSERT INTO {table} VALUES ({self.placeholders[table]})", rows)
            rows.clear()

    def close(self) -> None:
        for table in self.pending:
            self._flush(table)
        for connection in self.connections.values():
            connection.commit()
            connection.execute("PRAGMA journal_mode=DELETE")
            connection.close()


class _CityGenerator:
    """Draws people, households and enterprises from one seeded random stream."""

    def __init__(self, scale: Scale, seed: int, writer: _Writer) -> None:
        self.scale = scale
        self.rng = random.Random(seed)
        # The open data's own stream: adding to it never changes the people or enterprises.
        self.open_rng = random.Random(seed + 1)
        self.penalty_serial = 0
        self.writer = writer
        surnames = ChineseNames.last_names
        self.surnames: Sequence[str] = list(surnames)
        self.surname_weights = list(itertools.accumulate(surnames.values()))
        self.given_names: dict[str, tuple[Sequence[str], Sequence[str]]] = {
            sex: (list(names), [n for n in names if len(n) == 1])
            for sex, names in (
                ("男", ChineseNames.first_names_male),
                ("女", ChineseNames.first_names_female),
            )
        }
        self.phone_prefixes = [str(p) for p in ChinesePhones.phonenumber_prefixes]
        self.id_sequences: dict[int, int] = {}
        self.enterprise_serial = 0
        self.household_serial = 0
        self.marriage_serial = 0
        self.birth_serial = 0
        self.enterprise_rate = min(1.0, scale.enterprises / (scale.people * 0.22))
        self.summary = SourcesSummary()
        # Credit codes of the companies of each district still in business: employers.
        self.employers: dict[str, list[str]] = {}

    # -- people ------------------------------------------------------------------------------
    def _surname(self) -> str:
        return self.rng.choices(self.surnames, cum_weights=self.surname_weights)[0]

    def _given(self, sex: str) -> str:
        """A given name of one or two characters, as Faker's tables have them."""
        names, single = self.given_names[sex]
        given = self.rng.choice(names)
        if len(given) == 1 and self.rng.random() < 0.6:
            given += self.rng.choice(single)
        return given

    def _person(self, area: str, birth: date, sex: str, surname: str | None = None) -> _Person:
        if self.rng.random() < 0.15:
            area = self.rng.choice(_OTHER_BIRTHPLACES)
        key = int(area) * 100_000 + birth.toordinal() % 100_000
        k = self.id_sequences.get(key, 0)
        self.id_sequences[key] = k + 1
        # The sequence's parity is the sex (odd: male); 500 people per day and area at most.
        sequence = (k % 500) * 2 + (1 if sex == "男" else 0)
        id_number = make_resident_id(area, birth, sequence)
        return _Person(id_number, (surname or self._surname()) + self._given(sex), sex, birth)

    def _birth(self, min_age: int, max_age: int) -> date:
        return AS_OF - timedelta(days=self.rng.randint(min_age * 365, max_age * 365 + 364))

    def _phone(self) -> str:
        return self.rng.choice(self.phone_prefixes) + f"{self.rng.randrange(10**8):08d}"

    # -- one household -----------------------------------------------------------------------
    def household(self, district: Division, community: Division, street: Division) -> int:
        """Write one household with its people and their records elsewhere; returns its size."""
        rng = self.rng
        area = district.code
        shape = rng.random()
        members: list[_Person] = []
        if shape < 0.18:
            sex = rng.choice("男女")
            head = self._person(area, self._birth(20, 88), sex)
            members.append(head)
        else:
            head = self._person(area, self._birth(24, 80), "男")
            wife_birth = head.birth + timedelta(days=rng.randint(-5 * 365, 3 * 365))
            wife_birth = min(wife_birth, AS_OF - timedelta(days=21 * 365))
            spouse = self._person(area, wife_birth, "女")
            members += [head, spouse]
            self._marriage(head, spouse, district.code)
            if shape >= 0.35:
                for _ in range(rng.choice((1, 1, 2, 2, 3))):
                    child = self._child(area, head, spouse)
                    if child is not None:
                        members.append(child)
            if shape > 0.86:
                parent_birth = head.birth - timedelta(days=rng.randint(9_000, 13_000))
                members.append(self._person(area, parent_birth, rng.choice("男女"), head.name[0]))
        self.household_serial += 1
        household_id = f"H{district.code}{self.household_serial:08d}"
        address = self._address(district, street, community)
        for person in members:
            self.writer.add(
                "people",
                (
                    person.id_number,
                    person.name,
                    person.sex,
                    person.birth.isoformat(),
                    rng.choices(_ETHNICITIES, weights=_ETHNICITY_WEIGHTS)[0],
                    household_id,
                    community.code,
                    address,
                    self._phone() if _age(person.birth) >= 14 else None,
                    AS_OF_TEXT,
                ),
            )
            self._social_insurance(person, district.code)
        registered = max(head.birth + timedelta(days=18 * 365), date(1985, 1, 1))
        self.writer.add(
            "households",
            (household_id, head.id_number, community.code, address, len(members),
             registered.isoformat()),
        )  # fmt: skip
        if rng.random() < 0.03:
            self.writer.add(
                "low_income",
                (head.id_number, household_id, rng.choice(("最低生活保障", "特困供养")),
                 round(rng.uniform(500, 900), 2), _random_day(rng, 2015, AS_OF).isoformat()),
            )  # fmt: skip
        if 25 <= _age(head.birth) <= 65 and rng.random() < self.enterprise_rate:
            self._enterprise(head, district, street, community)
        return len(members)

    def _address(self, district: Division, street: Division, community: Division) -> str:
        rng = self.rng
        place = f"贵州省贵阳市{district.name}{street.name}{community.name}"
        if community.name.endswith("村"):
            return f"{place}{rng.randint(1, 12)}组{rng.randint(1, 80)}号"
        road = rng.choice(_ROADS[district.code])
        return (
            f"{place}{road}{rng.randint(1, 300)}号{rng.randint(1, 30)}栋"
            f"{rng.randint(1, 4)}单元{rng.randint(1, 33)}{rng.randint(1, 8):02d}室"
        )

    def _marriage(self, husband: _Person, wife: _Person, district_code: str) -> None:
        youngest = max(husband.birth, wife.birth)
        registered = youngest + timedelta(days=self.rng.randint(22 * 365, 30 * 365))
        if registered >= AS_OF:
            registered = AS_OF - timedelta(days=self.rng.randint(1, 365))
        self.marriage_serial += 1
        self.writer.add(
            "marriages",
            (f"J{district_code}-{registered.year}-{self.marriage_serial:07d}", husband.id_number,
             wife.id_number, registered.isoformat(), district_code),
        )  # fmt: skip

    def _child(self, area: str, father: _Person, mother: _Person) -> _Person | None:
        earliest = mother.birth + timedelta(days=20 * 365)
        latest = min(mother.birth + timedelta(days=42 * 365), AS_OF - timedelta(days=30))
        if earliest >= latest:
            return None
        birth = earliest + timedelta(days=self.rng.randint(0, (latest - earliest).days))
        child = self._person(area, birth, self.rng.choice("男女"), father.name[0])
        self.birth_serial += 1
        self.writer.add(
            "births",
            (f"{'ABCDEFGHJKMNPQRSTUVWXYZ'[birth.year % 23]}520{self.birth_serial:09d}",
             child.id_number, child.name, mother.id_number, father.id_number,
             birth.isoformat(), self.rng.choice(_HOSPITALS)),
        )  # fmt: skip
        return child

    def _social_insurance(self, person: _Person, district_code: str) -> None:
        age = _age(person.birth)
        rng = self.rng
        if age < 18 or rng.random() > 0.72:
            return
        employers = self.employers.get(district_code, [])
        employer = rng.choice(employers) if age < 60 and employers and rng.random() < 0.7 else None
        kind = _INSURANCE_TYPES[0] if employer else _INSURANCE_TYPES[1]
        started = max(person.birth + timedelta(days=18 * 365), date(1995, 1, 1))
        started += timedelta(days=rng.randint(0, max(0, (AS_OF - started).days)))
        self.writer.add(
            "social_insurance",
            (person.id_number, person.name, kind, employer, started.isoformat(),
             "退休领取" if age >= 60 else "正常参保",
             float(rng.randrange(3_500, 20_000, 100)) if employer else 0.0),
        )  # fmt: skip

    def _enterprise(
        self, owner: _Person, district: Division, street: Division, community: Division
    ) -> None:
        rng = self.rng
        self.enterprise_serial += 1
        sole_trader = rng.random() < 0.45
        entity_type = "2" if sole_trader else "1"
        code = make_credit_code(district.code, self.enterprise_serial, "9", entity_type)
        industry, business = rng.choice(_INDUSTRIES)
        trade = rng.choice(TRADE_NAMES) + rng.choice(TRADE_NAMES)
        if sole_trader:
            name = f"{district.name}{trade}{industry}店"
            kind, capital = "个体工商户", round(rng.uniform(1, 50), 1)
        else:
            name = f"贵州{trade}{business}有限公司"
            kind, capital = "有限责任公司", float(rng.choice((10, 50, 100, 200, 500, 1000, 5000)))
        established = max(owner.birth + timedelta(days=22 * 365), date(1992, 1, 1))
        established += timedelta(days=rng.randint(0, max(0, (AS_OF - established).days)))
        status = "存续" if rng.random() < 0.92 else rng.choice(("注销", "吊销"))
        address = self._address(district, street, community)
        self.writer.add(
            "enterprises",
            (code, name, kind, owner.id_number, owner.name, capital, established.isoformat(),
             community.code, address, industry, status, AS_OF_TEXT),
        )  # fmt: skip
        self._licence_and_penalty(
            (code, name, kind, owner.name, capital, established.isoformat()),
            f"{industry}；{business}服务",
            address,
            established,
            status,
            district,
        )
        by_district = self.summary.enterprises_by_district
        by_district[district.code] = by_district.get(district.code, 0) + 1
        if status == "存续" and not sole_trader:
            self.employers.setdefault(district.code, []).append(code)

    def _licence_and_penalty(
        self,
        face: tuple[object, ...],
        scope: str,
        address: str,
        established: date,
        status: str,
        district: Division,
    ) -> None:
        """The licence's face (reissued at some later change) and, now and then, a penalty
        published under 双公示 — drawn from the open data's own stream."""
        rng = self.open_rng
        issued = established + timedelta(days=rng.randint(0, max(0, (AS_OF - established).days)))
        self.writer.add(
            "business_licences",
            (*face, scope, address, issued.isoformat(), _LICENCE_STATUS[status]),
        )
        if rng.random() >= PENALTY_RATE:
            return
        self.penalty_serial += 1
        violation, penalty = rng.choice(_VIOLATIONS)
        fine = 0.0 if penalty == "警告" else float(rng.randrange(2_000, 200_000, 500))
        decided = _random_day(rng, max(2019, established.year), AS_OF)
        number = f"筑市监处罚〔{decided.year}〕{self.penalty_serial:05d}号"
        self.writer.add(
            "market_penalties",
            (number, face[1], face[0], violation, penalty, fine, decided.isoformat(),
             f"{district.name}市场监督管理局"),
        )  # fmt: skip


def _age(birth: date) -> int:
    return AS_OF.year - birth.year - ((AS_OF.month, AS_OF.day) < (birth.month, birth.day))


def _random_day(rng: random.Random, first_year: int, last: date) -> date:
    start = date(first_year, 1, 1)
    return start + timedelta(days=rng.randint(0, (last - start).days))


def _district_targets(people: int) -> dict[str, int]:
    total = sum(DISTRICT_POPULATION_2020.values())
    return {code: people * share // total for code, share in DISTRICT_POPULATION_2020.items()}


def _communities(scale: Scale, district: Division) -> Iterator[tuple[Division, Division]]:
    """(street, community) pairs of a district this scale builds, cycling for ever."""
    pairs = [
        (street, community)
        for street in streets_in_scale(scale, district.code)
        for community in communities_in_scale(scale, street.code)
    ]
    return itertools.cycle(pairs)


def build_sources(data_dir: Path, scale: Scale, seed: int, report: Progress) -> SourcesSummary:
    """Write every department's database under `data_dir/sources/`, replacing old ones."""
    writer = _Writer(data_dir / "sources")
    generator = _CityGenerator(scale, seed, writer)
    summary = generator.summary
    targets = _district_targets(scale.people)
    step = "部门数据 department sources"
    done = 0
    last_report = 0
    try:
        for district in children_of(GUIYANG):
            places = _communities(scale, district)
            people = 0
            while people < targets[district.code]:
                street, community = next(places)
                people += generator.household(district, community, street)
                summary.households += 1
                if done + people - last_report >= BATCH:
                    last_report = done + people
                    report(step, min(last_report, scale.people), scale.people)
            summary.population_by_district[district.code] = people
            done += people
    finally:
        writer.close()
    report(step, scale.people, scale.people)
    summary.files = dict(writer.paths)
    for code in DISTRICT_POPULATION_2020:
        summary.enterprises_by_district.setdefault(code, 0)
    return summary
