"""A demo set with known duplicates and injected errors, and the quality of a resolution on it.

From a register's people (the demo city's police register, read through the exchange) each
person gets a record in the register and, for a share of them, records in other departments'
registers, written the way those departments write them (addresses with or without the
province, the street, full-width digits). A share of all records then carries an injected
error: a character typo or a homophone in the name, two adjacent ID digits swapped, a wrong
check digit, a missing ID, a mistyped birth date. Everything is drawn from one seeded
generator, so the same people and seed give the same set, and the truth (which person each
record belongs to) is kept beside it.

Quality is counted over pairs of records: precision is the share of linked pairs that are
the same person, recall the share of same-person pairs that were linked.
"""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from zhuyun.blocks.resolution.engine import Resolution
from zhuyun.blocks.resolution.normalise import pinyin_of
from zhuyun.blocks.resolution.records import PersonRecord

#: The departments whose registers hold second copies, as the demo's sources name them.
OTHER_SOURCES = ("rsj", "ybj", "wjw", "mzj")
HOME_SOURCE = "gongan"


class ErrorKind(StrEnum):
    NAME_TYPO = "name-typo"  # one character of the given name replaced by another
    HOMOPHONE = "homophone"  # one character replaced by one that sounds the same
    ID_SWAP = "id-swap"  # two adjacent different digits of the ID swapped
    ID_CHECK = "id-check"  # a wrong check character
    ID_MISSING = "id-missing"  # no ID number
    BIRTH_TYPO = "birth-typo"  # two adjacent digits of the birth date swapped


ERROR_LABELS_ZH = {
    ErrorKind.NAME_TYPO: "姓名错字",
    ErrorKind.HOMOPHONE: "姓名同音字",
    ErrorKind.ID_SWAP: "身份证号相邻数字颠倒",
    ErrorKind.ID_CHECK: "身份证号校验位错误",
    ErrorKind.ID_MISSING: "身份证号缺失",
    ErrorKind.BIRTH_TYPO: "出生日期错位",
}


@dataclass(frozen=True)
class BasePerson:
    """A person as the home register has them: the truth the demo set is made from."""

    id_number: str
    name: str
    sex: str
    birth_date: str  # ISO
    address: str


@dataclass
class DemoSet:
    records: list[PersonRecord]
    truth: dict[str, int]  # record id → index of the base person
    errors: dict[str, list[ErrorKind]] = field(default_factory=dict)  # record id → injected


@dataclass(frozen=True)
class Quality:
    records: int
    true_pairs: int
    linked_pairs: int
    correct_pairs: int
    recall_by_error: dict[str, float]

    @property
    def precision(self) -> float:
        return self.correct_pairs / self.linked_pairs if self.linked_pairs else 1.0

    @property
    def recall(self) -> float:
        return self.correct_pairs / self.true_pairs if self.true_pairs else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


class _Writer:
    """Draws the records; holds the seeded generator and the homophone table."""

    def __init__(self, people: Sequence[BasePerson], seed: int) -> None:
        self.rng = random.Random(seed)
        pool = sorted({c for p in people for c in p.name[1:]})
        self.pool = pool or ["明"]
        sounds: dict[str, list[str]] = defaultdict(list)
        for char in pool:
            sounds[pinyin_of(char)].append(char)
        self.homophones = {c: [o for o in sounds[pinyin_of(c)] if o != c] for c in pool}

    def address_variant(self, address: str) -> str:
        """The same place written another way: as other departments write it."""
        rng = self.rng
        form = rng.randrange(4)
        if form == 0:
            return address.removeprefix("贵州省")
        if form == 1:
            return address.removeprefix("贵州省贵阳市")
        if form == 2:
            return "".join(chr(ord(c) + 0xFEE0) if c.isdigit() else c for c in address)
        return address.replace("贵阳市", "贵阳市 ", 1)

    def inject(self, record: PersonRecord, kind: ErrorKind) -> PersonRecord | None:
        """The record with one error of `kind`, or None when the record cannot carry it."""
        rng = self.rng
        name, id_number, birth = record.name, record.id_number or "", record.birth_date or ""
        if kind in (ErrorKind.NAME_TYPO, ErrorKind.HOMOPHONE):
            if len(name) < 2:
                return None
            at = rng.randrange(1, len(name))
            options = (
                self.homophones.get(name[at], [])
                if kind == ErrorKind.HOMOPHONE
                else [c for c in self.pool if pinyin_of(c) != pinyin_of(name[at])]
            )
            if not options:
                return None
            name = name[:at] + rng.choice(options) + name[at + 1 :]
        elif kind == ErrorKind.ID_SWAP:
            spots = [i for i in range(16) if id_number[i : i + 1] != id_number[i + 1 : i + 2]]
            if len(id_number) != 18 or not spots:
                return None
            i = rng.choice(spots)
            id_number = id_number[:i] + id_number[i + 1] + id_number[i] + id_number[i + 2 :]
        elif kind == ErrorKind.ID_CHECK:
            if len(id_number) != 18:
                return None
            id_number = id_number[:17] + rng.choice(
                [c for c in "0123456789X" if c != id_number[17]]
            )
        elif kind == ErrorKind.ID_MISSING:
            id_number = ""
        elif kind == ErrorKind.BIRTH_TYPO:
            digits = birth.replace("-", "")
            spots = [i for i in range(4, 7) if digits[i] != digits[i + 1]]
            if len(digits) != 8 or not spots:
                return None
            i = rng.choice(spots)
            digits = digits[:i] + digits[i + 1] + digits[i] + digits[i + 2 :]
            birth = f"{digits[:4]}-{digits[4:6]}-{digits[6:]}"
        return PersonRecord(
            record.record_id, record.source, name, id_number or None, birth, record.sex,
            record.address,
        )  # fmt: skip


def make_demo_set(
    people: Iterable[BasePerson],
    *,
    seed: int = 2024,
    duplicate_share: float = 0.3,
    error_rate: float = 0.02,
) -> DemoSet:
    """Records of `people` in several registers, `error_rate` of them with an injected error.

    Each person has a home-register record; `duplicate_share` of them also one in another
    department's register (a tenth of those, two). Error kinds are drawn evenly.
    """
    base = list(people)
    writer = _Writer(base, seed)
    rng = writer.rng
    records: list[PersonRecord] = []
    truth: dict[str, int] = {}
    for n, person in enumerate(base):
        copies = [HOME_SOURCE]
        if rng.random() < duplicate_share:
            extra = 2 if rng.random() < 0.1 else 1
            copies += rng.sample(OTHER_SOURCES, extra)
        for source in copies:
            record_id = f"{source}-{n}"
            address = (
                person.address if source == HOME_SOURCE else writer.address_variant(person.address)
            )
            records.append(
                PersonRecord(
                    record_id,
                    source,
                    person.name,
                    person.id_number,
                    person.birth_date,
                    person.sex,
                    address,
                )
            )
            truth[record_id] = n
    demo = DemoSet(records, truth)
    kinds = list(ErrorKind)
    for index, record in enumerate(records):
        if rng.random() >= error_rate:
            continue
        for _ in range(3):  # a record that cannot carry the drawn kind gets another
            kind = rng.choice(kinds)
            changed = writer.inject(record, kind)
            if changed is not None:
                records[index] = changed
                demo.errors[record.record_id] = [kind]
                break
    return demo


def _pairs(size: int) -> int:
    return size * (size - 1) // 2


def evaluate(demo: DemoSet, resolution: Resolution) -> Quality:
    """Pairwise precision and recall of `resolution` against the demo set's truth, and for
    each error kind the share of its records (with a true partner) put with a partner."""
    truth_sizes = Counter(demo.truth.values())
    overlap: Counter[tuple[int, int]] = Counter()
    cluster_sizes: list[int] = []
    for n, members in enumerate(resolution.clusters):
        cluster_sizes.append(len(members))
        for record_id in members:
            overlap[(n, demo.truth[record_id])] += 1
    cluster_of = resolution.cluster_of()
    partners_found: dict[str, list[bool]] = defaultdict(list)
    for record_id, kinds in demo.errors.items():
        person = demo.truth[record_id]
        if truth_sizes[person] < 2:
            continue
        found = overlap[(cluster_of[record_id], person)] >= 2
        for kind in kinds:
            partners_found[kind.value].append(found)
    return Quality(
        records=len(demo.records),
        true_pairs=sum(_pairs(s) for s in truth_sizes.values()),
        linked_pairs=sum(_pairs(s) for s in cluster_sizes),
        correct_pairs=sum(_pairs(s) for s in overlap.values()),
        recall_by_error={
            kind: round(sum(found) / len(found), 4)
            for kind, found in sorted(partners_found.items())
        },
    )
