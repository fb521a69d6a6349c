"""A fusion job declared as data: which catalog resources (read through the gateway for a
stated purpose), which key joins them, and which profile tables come out.

Written in YAML or JSON by a unit's data admin and stored as submitted; parsed here into a
`JobDefinition`, whose shape errors come back as one 422 naming the place of each.

```yaml
name: 一人一档
entity: person            # person (ID number) | enterprise (USCC) | grid (grid code)
purpose: 建立一人一档，支撑政务服务主动推送
sources:
  - alias: population     # names the source's columns in the profile table
    resource_id: 1
    key: id_number        # the item holding the entity's key
    items: [name, sex, birth_date]
    updated_at: updated_at  # optional: rows changed since the last run (incremental)
    take: latest          # latest: the newest row's items; count: how many rows only
outputs:
  - name: person_profile
```
"""

from __future__ import annotations

import json
from enum import StrEnum
from typing import Annotated, Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from zhuyun.core.errors import Unprocessable

NAME = r"^[a-z][a-z0-9_]{0,39}$"
MAX_DEFINITION_CHARS = 64_000


class Entity(StrEnum):
    PERSON = "person"
    ENTERPRISE = "enterprise"
    GRID = "grid"


ENTITY_LABELS_ZH = {
    Entity.PERSON: "一人一档",
    Entity.ENTERPRISE: "一企一档",
    Entity.GRID: "一格一档",
}
KEY_LABELS = {
    Entity.PERSON: ("ID number", "公民身份号码"),
    Entity.ENTERPRISE: ("unified social credit code", "统一社会信用代码"),
    Entity.GRID: ("grid code", "网格编码"),
}


class Take(StrEnum):
    LATEST = "latest"
    COUNT = "count"


Field40 = Annotated[str, Field(min_length=1, max_length=60)]


class SourceSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    alias: Annotated[str, Field(pattern=NAME)]
    resource_id: Annotated[int, Field(ge=1, le=2_147_483_647)]
    key: Field40
    items: Annotated[list[Field40], Field(default_factory=list, max_length=60)]
    updated_at: Field40 | None = None
    take: Take = Take.LATEST
    row_key: Annotated[list[Field40], Field(default_factory=list, max_length=8)]

    @property
    def read_items(self) -> list[str]:
        """Every item the run reads: the key, the row key, the items, the update time."""
        names = [self.key, *self.row_key, *self.items]
        if self.updated_at:
            names.append(self.updated_at)
        return list(dict.fromkeys(names))


class OutputSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Annotated[str, Field(pattern=NAME)]
    sources: Annotated[list[str], Field(default_factory=list, max_length=40)]


class JobDefinition(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Annotated[str, Field(min_length=2, max_length=100)]
    entity: Entity
    purpose: Annotated[str, Field(min_length=2, max_length=200)]
    sources: Annotated[list[SourceSpec], Field(min_length=1, max_length=40)]
    outputs: Annotated[list[OutputSpec], Field(min_length=1, max_length=10)]

    @model_validator(mode="after")
    def _names_agree(self) -> JobDefinition:
        aliases = [s.alias for s in self.sources]
        if len(set(aliases)) != len(aliases):
            raise ValueError("source aliases must be unique / 数据源别名不能重复")
        if len({o.name for o in self.outputs}) != len(self.outputs):
            raise ValueError("output names must be unique / 输出表名不能重复")
        for output in self.outputs:
            unknown = [a for a in output.sources if a not in aliases]
            if unknown:
                raise ValueError(
                    f"output {output.name} names unknown sources {', '.join(unknown)} / "
                    f"输出表 {output.name} 引用了不存在的数据源：{'、'.join(unknown)}"
                )
        return self

    def output_sources(self, output: OutputSpec) -> list[SourceSpec]:
        wanted = output.sources or [s.alias for s in self.sources]
        return [s for s in self.sources if s.alias in wanted]


def parse_definition(text: str) -> JobDefinition:
    """The job in `text` (YAML, of which JSON is a subset), or a 422 saying what is wrong."""
    if len(text) > MAX_DEFINITION_CHARS:
        raise Unprocessable(
            f"The job definition is longer than {MAX_DEFINITION_CHARS:,} characters.",
            f"作业定义超过 {MAX_DEFINITION_CHARS:,} 个字符。",
            code="job-too-long",
        )
    try:
        raw: Any = yaml.safe_load(text)
    except (yaml.YAMLError, ValueError, RecursionError) as error:  # a bad date, deep nesting
        mark = getattr(error, "problem_mark", None)
        where = f" (line {mark.line + 1})" if mark is not None else ""
        raise Unprocessable(
            f"The job definition is not valid YAML or JSON{where}.",
            f"作业定义不是有效的 YAML 或 JSON{where}。",
            code="job-unreadable",
        ) from None
    if not isinstance(raw, dict):
        raise Unprocessable(
            "The job definition must be a mapping with name, entity, purpose, sources, outputs.",
            "作业定义须为包含 name、entity、purpose、sources、outputs 的映射。",
            code="job-invalid",
        )
    try:
        return JobDefinition.model_validate(raw)
    except ValidationError as error:
        issues = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'job'}: {e['msg']}" for e in error.errors()
        )[:1000]
        raise Unprocessable(
            f"The job definition is invalid: {issues}",
            f"作业定义有误：{issues}",
            code="job-invalid",
        ) from None


def as_text(definition: JobDefinition) -> str:
    return json.dumps(definition.model_dump(mode="json"), ensure_ascii=False, indent=1)
