"""Entity resolution: keys first, then fuzzy matching of the records that have no valid key,
only against records that share a blocking key, then clustering.

1. Records with a valid key (GB 11643 resident ID, GB 32100 credit code) are grouped by it.
2. Each keyless record (key missing, or failing its check) gets blocking keys: the valid IDs
   one slip away from its ID (check character, a swapped pair, one digit), birth date +
   surname sound, birth date + community, name sound + street. Only the blocks a keyless
   record opens are built, so the work grows with the keyless records, not with the square
   of all records.
3. Each candidate pair is scored (`scoring`); pairs at or above the threshold are matches.
4. Matches join clusters strongest first (union-find), never two clusters with different
   valid keys: a keyless record that looks like two keyed people joins the closer one.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar

from zhuyun.blocks.resolution.records import (
    EnterpriseRecord,
    PersonRecord,
    PreparedEnterprise,
    PreparedPerson,
    prepare_enterprise,
    prepare_person,
)
from zhuyun.blocks.resolution.scoring import Score, score_enterprises, score_people
from zhuyun.core.ids import resident_id_check_char

#: A block bigger than this is skipped (and counted): it would say little and cost much.
MAX_BLOCK = 1_000


class _Keyed(Protocol):
    @property
    def record_id(self) -> str: ...
    @property
    def key(self) -> str | None: ...


P = TypeVar("P", bound=_Keyed)


@dataclass(frozen=True)
class Match:
    """Two records the scorer linked, with the score that explains why."""

    left: str
    right: str
    score: Score


@dataclass
class Resolution:
    """Clusters of record ids (each one entity), the fuzzy matches, and what it cost."""

    clusters: list[list[str]]
    matches: list[Match]
    records: int = 0
    keyless: int = 0
    pairs_compared: int = 0
    blocks_skipped: int = 0
    rejected_merges: int = 0  # matches that would have joined two different valid keys

    def cluster_of(self) -> dict[str, int]:
        """Record id → cluster number."""
        return {rid: n for n, ids in enumerate(self.clusters) for rid in ids}


@dataclass
class _Clusters:
    """Union-find whose roots remember the valid key of their cluster."""

    parent: list[int]
    key: list[str | None]
    rejected: int = 0

    def find(self, i: int) -> int:
        root = i
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[i] != root:
            self.parent[i], i = root, self.parent[i]
        return root

    def union(self, a: int, b: int) -> bool:
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return True
        ka, kb = self.key[ra], self.key[rb]
        if ka is not None and kb is not None and ka != kb:
            self.rejected += 1
            return False
        self.parent[rb] = ra
        self.key[ra] = ka or kb
        return True


@dataclass
class Resolver(Generic[P]):
    """The algorithm, for one kind of record: how to block and how to score."""

    block_keys: Callable[[P], Iterable[str]]
    score: Callable[[P, P], Score]
    max_block: int = MAX_BLOCK

    def resolve(self, prepared: Sequence[P]) -> Resolution:
        clusters = _Clusters(list(range(len(prepared))), [p.key for p in prepared])
        by_key: dict[str, int] = {}
        for i, record in enumerate(prepared):
            if record.key is not None:
                first = by_key.setdefault(record.key, i)
                clusters.union(first, i)
        keyless = [i for i, record in enumerate(prepared) if record.key is None]
        pairs, skipped = self._candidates(prepared, keyless)
        matches: list[tuple[int, int, Score]] = []
        for i, j in pairs:
            score = self.score(prepared[i], prepared[j])
            if score.is_match:
                matches.append((i, j, score))
        matches.sort(key=lambda m: -m[2].total)
        kept: list[Match] = []
        for i, j, score in matches:
            if clusters.union(i, j):
                kept.append(Match(prepared[i].record_id, prepared[j].record_id, score))
        members: dict[int, list[str]] = defaultdict(list)
        for i, record in enumerate(prepared):
            members[clusters.find(i)].append(record.record_id)
        return Resolution(
            clusters=list(members.values()),
            matches=kept,
            records=len(prepared),
            keyless=len(keyless),
            pairs_compared=len(pairs),
            blocks_skipped=skipped,
            rejected_merges=clusters.rejected,
        )

    def _candidates(
        self, prepared: Sequence[P], keyless: list[int]
    ) -> tuple[set[tuple[int, int]], int]:
        """Pairs (keyless record, any other record) that share a blocking key."""
        wanted: dict[int, list[str]] = {i: list(self.block_keys(prepared[i])) for i in keyless}
        opened = {k for keys in wanted.values() for k in keys}
        blocks: dict[str, list[int]] = defaultdict(list)
        for j, record in enumerate(prepared):
            keys = wanted.get(j)
            for k in keys if keys is not None else self.block_keys(record):
                if k in opened:
                    blocks[k].append(j)
        pairs: set[tuple[int, int]] = set()
        skipped = 0
        for members in blocks.values():
            if len(members) > self.max_block:
                skipped += 1
                continue
            if len(members) < 2:
                continue
            for i in members:
                if i not in wanted:
                    continue
                for j in members:
                    if j != i and not (j in wanted and j < i):
                        pairs.add((i, j) if i < j else (j, i))
        return pairs, skipped


_DIGITS = "0123456789"


def id_variants(text: str) -> set[str]:
    """The IDs one slip away from `text`: itself, its body with the right check character,
    each adjacent pair swapped, each body digit replaced. A keyless record opens the blocks
    of these, so it meets the record that holds the number it was meant to be."""
    if len(text) != 18 or not text[:17].isdigit():
        return {text} if text else set()
    body = text[:17]
    variants = {text, body + resident_id_check_char(body)}
    for i in range(17):
        variants.add(text[:i] + text[i + 1] + text[i] + text[i + 2 :])
        variants.update(text[:i] + d + text[i + 1 :] for d in _DIGITS)
    return variants


def person_block_keys(p: PreparedPerson) -> list[str]:
    surname = p.name_pinyin.split(" ", 1)[0] if p.name_pinyin else ""
    keys = ["id:" + p.key] if p.key else ["id:" + v for v in id_variants(p.id_text)]
    if p.birth_digits:
        keys.append(f"bs:{p.birth_digits}:{surname}")
        if p.place.community:
            keys.append(f"bc:{p.birth_digits}:{p.place.community}")
    if p.name_pinyin:
        keys.append(f"np:{p.name_pinyin}:{p.place.street or p.place.district}")
    return keys


def enterprise_block_keys(e: PreparedEnterprise) -> list[str]:
    keys = []
    if len(e.code_text) >= 17:
        keys.append("cc:" + "".join(sorted(e.code_text[:17])))
    if e.name:
        keys.append(f"n2:{e.name[:2]}:{e.place.district}")
        keys.append(f"nt:{e.name[-2:]}:{e.place.finest}")
    return keys


PEOPLE = Resolver[PreparedPerson](person_block_keys, score_people)
ENTERPRISES = Resolver[PreparedEnterprise](enterprise_block_keys, score_enterprises)


def resolve_people(records: Iterable[PersonRecord]) -> Resolution:
    """Cluster person records: same valid ID number, or a fuzzy match above the threshold."""
    return PEOPLE.resolve([prepare_person(r) for r in records])


def resolve_enterprises(records: Iterable[EnterpriseRecord]) -> Resolution:
    """Cluster enterprise records: same valid credit code, or a fuzzy match."""
    return ENTERPRISES.resolve([prepare_enterprise(r) for r in records])
