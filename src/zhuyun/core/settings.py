"""One typed settings object, read once, from the environment and an optional TOML file.

Every setting is `ZHUYUN_<NAME>` in the environment, or `<name> = ...` in the TOML file named
by `ZHUYUN_CONFIG` (default `./zhuyun.toml` when it exists). The environment wins.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

DEV_SECRET = "zhuyun-dev-secret-not-for-production"


def _config_file() -> Path | None:
    named = os.environ.get("ZHUYUN_CONFIG")
    if named:
        return Path(named)
    default = Path("zhuyun.toml")
    return default if default.exists() else None


class Settings(BaseSettings):
    """The platform's settings; secrets are `SecretStr` so they never print."""

    model_config = SettingsConfigDict(env_prefix="ZHUYUN_", extra="ignore")

    env: Literal["dev", "test", "prod"] = "dev"
    data_dir: Path = Path("var")
    database_url: str = ""
    secret_key: SecretStr = SecretStr(DEV_SECRET)
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    session_hours: float = Field(default=8.0, gt=0)
    lockout_threshold: int = Field(default=5, ge=1)
    lockout_minutes: float = Field(default=15.0, gt=0)
    review_working_days: int = Field(default=10, ge=1, le=60)
    # Hosts (names or CIDR ranges) department sources may point at; loopback by default so
    # a registered source can never make the platform reach into arbitrary networks.
    source_hosts: str = "127.0.0.1,localhost,::1"

    # Folders on this server that file and SQLite sources may live in (comma-separated);
    # empty means the data dir's sources/ folder, so no source can read the server's files.
    source_dirs: str = ""

    # The platform's Ed25519 key that signs requests and grant tokens to department nodes;
    # empty means <data_dir>/exchange/platform_ed25519.pem, created (0600) on first use.
    exchange_signing_key_file: Path | None = None
    # Subscriptions: seconds between the platform process's delivery passes (0: none in this
    # process; run `zhuyun exchange deliver` instead), and the first retry's delay after a
    # failed webhook call (doubling per attempt, up to 10 minutes).
    exchange_delivery_interval: float = Field(default=5.0, ge=0, le=3600)
    exchange_delivery_retry: float = Field(default=5.0, gt=0, le=3600)
    # A district platform publishing up: the node.toml of its peer identity (made with
    # `zhuyun node init`; empty: this platform answers no upper platform) and the code of
    # its own unit the upper platform reads as (its grants and masking apply).
    exchange_peer_config: Path | None = None
    exchange_upper_unit: str = ""

    # Units (codes, comma-separated; * for all) whose electronic certificates are signed with
    # SM2 (GB/T 32918) instead of Ed25519; a unit's key is made on its first certificate.
    certificate_sm2_units: str = ""

    # The open-data API's rate limits (requests per minute): a developer key's default rate
    # and the highest its owner may ask for; anonymous visitors per client address (0: no
    # limit). Counters live in the `limits` storage named here (memory:// or redis://…; a
    # secret, as a Redis URL may carry a password).
    opendata_key_rate: int = Field(default=600, ge=1, le=1_000_000)
    opendata_key_max_rate: int = Field(default=6000, ge=1, le=1_000_000)
    opendata_anonymous_rate: int = Field(default=300, ge=0, le=1_000_000)
    opendata_rate_storage: SecretStr = SecretStr("memory://")
    # The moving window the rates are counted over, in seconds (a rate of 600 a minute over
    # a 10 s window allows 100 per 10 s: shorter windows smooth bursts).
    opendata_rate_window: int = Field(default=60, ge=1, le=3600)

    # Block-data fusion: the engine runs use unless they name one (duckdb on this machine,
    # spark on a cluster), and the Spark master (`local[2]`, or `spark://host:7077`).
    blocks_engine: Literal["duckdb", "spark"] = "duckdb"
    blocks_spark_master: str = "local[2]"

    # 数据铁笼: seconds between the in-process rule watcher's polls of the ledger (0: no
    # watcher in this process; run `zhuyun supervision watch` beside it instead).
    supervision_watch_interval: float = Field(default=0, ge=0, le=60)

    @property
    def source_host_list(self) -> tuple[str, ...]:
        return tuple(h.strip() for h in self.source_hosts.split(",") if h.strip())

    @property
    def source_dir_list(self) -> tuple[Path, ...]:
        named = [Path(d.strip()) for d in self.source_dirs.split(",") if d.strip()]
        return tuple(named or [self.sources_dir])

    secure_cookies: bool = False
    sql_echo: bool = False

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        config_file = _config_file()
        if config_file is not None:
            if not config_file.exists():
                raise FileNotFoundError(f"ZHUYUN_CONFIG names a missing file: {config_file}")
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=config_file))
        return tuple(sources)

    @model_validator(mode="after")
    def _derive_and_guard(self) -> Settings:
        if not self.database_url:
            self.database_url = f"sqlite:///{(self.data_dir / 'zhuyun.sqlite').as_posix()}"
        if self.env == "prod" and self.secret_key.get_secret_value() == DEV_SECRET:
            raise ValueError(
                "ZHUYUN_SECRET_KEY must be set to a secret of your own in production "
                "(生产环境必须设置 ZHUYUN_SECRET_KEY)"
            )
        if self.env == "prod" and len(self.secret_key.get_secret_value()) < 32:
            raise ValueError("ZHUYUN_SECRET_KEY needs at least 32 characters (密钥至少 32 个字符)")
        return self

    @property
    def sources_dir(self) -> Path:
        """Where the demo city's department databases live (one SQLite file each)."""
        return self.data_dir / "sources"

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    def redacted_database_url(self) -> str:
        """The database URL with any password replaced, for logs and `zhuyun --help` output."""
        from sqlalchemy.engine import make_url

        return make_url(self.database_url).render_as_string(hide_password=True)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    return Settings()
