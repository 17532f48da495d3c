"""Settings: environment ``SYNCD_*`` (``__`` nests) over a TOML file over defaults.

The TOML file is named by ``--config`` or ``SYNCD_CONFIG``. ``load_settings`` is the only way in;
there is no module-level settings object. A bad value raises ``ConfigError`` with one line that
names the setting and the problem, never the value of the token.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    SettingsError,
    TomlConfigSettingsSource,
)

from syncd.errors import ConfigError

DEFAULT_DATABASE_URL = "sqlite:///syncd.db"


class DatabaseSettings(BaseModel):
    """Where the inventory and syncd's own tables live."""

    url: str = Field(
        default=DEFAULT_DATABASE_URL,
        description="SQLAlchemy URL: sqlite:///path.db or postgresql+psycopg://user@host/db",
    )
    busy_timeout_ms: int = Field(default=5000, ge=0, description="SQLite busy timeout")
    migrate_on_start: bool = Field(
        default=True, description="`syncd run` upgrades the schema (under its lock) at start"
    )
    history_days: int = Field(
        default=90, ge=1, description="finished job runs and write intents kept this many days"
    )

    @field_validator("url")
    @classmethod
    def _known_backend(cls, value: str) -> str:
        if not (value.startswith("sqlite:") or value.startswith("postgresql+psycopg:")):
            raise ValueError("must start with sqlite: or postgresql+psycopg:")
        return value


class ManagemSettings(BaseModel):
    """How to reach Managem."""

    base_url: str = "https://api.managem.co.uk"
    token: SecretStr | None = Field(default=None, description="OAuth access token or PAT")
    auth_scheme: Literal["bearer", "apikey"] = "bearer"
    connect_timeout: float = Field(default=5.0, gt=0)
    read_timeout: float = Field(default=30.0, gt=0)
    write_timeout: float = Field(default=30.0, gt=0)
    pool_timeout: float = Field(default=5.0, gt=0)
    call_deadline: float = Field(default=60.0, gt=0, description="overall cap on one call")
    max_connections: int = Field(default=8, ge=1)

    @field_validator("base_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value.rstrip("/")

    @field_validator("token")
    @classmethod
    def _header_safe(cls, value: SecretStr | None) -> SecretStr | None:
        # A newline left by an env file or `echo tok > file` would make the HTTP stack quote
        # the header escaped (b'Bearer tok\n') in its error, where redaction cannot find the
        # token. Trim it; refuse what cannot be sent as a header. The message never quotes it.
        if value is None:
            return None
        token = value.get_secret_value().strip()
        if not token:
            return None
        if not all("!" <= ch <= "~" for ch in token):
            raise ValueError("must be printable ASCII with no spaces or control characters")
        return SecretStr(token)


class RateLimitSettings(BaseModel):
    """The client-side token bucket and retry policy."""

    rate: float = Field(default=5.0, gt=0, description="requests per second")
    burst: int = Field(default=10, ge=1)
    learn_from_headers: bool = True
    priority_share: float = Field(
        default=0.25, ge=0, lt=1, description="share of the bucket kept for orders/cases"
    )
    max_in_flight: int = Field(default=4, ge=1, description="parallel per-listing writes")
    max_attempts: int = Field(default=5, ge=1)
    backoff_base: float = Field(default=0.5, gt=0)
    backoff_cap: float = Field(default=30.0, gt=0)
    retry_budget: float = Field(default=180.0, gt=0, description="total seconds of retrying")
    max_retry_after: float = Field(default=120.0, gt=0)


class ScheduleSettings(BaseModel):
    """How often the daemon runs each job (seconds)."""

    cycle_interval: float = Field(default=60.0, gt=0, description="orders → cases → listings")
    orders_interval: float = Field(
        default=30.0, gt=0, description="orders also polled alone between cycles when shorter"
    )
    prices_interval: float = Field(default=86400.0, gt=0)
    full_resync_interval: float = Field(default=21600.0, gt=0, description="full listings read")
    misfire_grace: float = Field(default=30.0, gt=0)
    stop_timeout: float = Field(default=60.0, gt=0, description="bound on a clean stop")


class SafetySettings(BaseModel):
    """Guards on what a listings sync may do."""

    max_delete_share: float = Field(default=0.2, ge=0, le=1)
    delete_guard_min: int = Field(
        default=5, ge=0, description="deletes at or below this count never trip the share guard"
    )
    ambiguous_grace: float = Field(
        default=120.0, ge=0, description="seconds to wait for search-index lag"
    )
    order_overlap: float = Field(default=600.0, ge=0, description="re-read window for orders")


class PricesSettings(BaseModel):
    """Price snapshots and their retention."""

    keep_all_days: int = Field(default=90, ge=1, description="older snapshots thin to daily")
    backfill_days: int = Field(
        default=30, ge=2, le=365, description="today is never stored, so at least 2"
    )


class HealthSettings(BaseModel):
    """The daemon's optional loopback HTTP endpoint (/healthz, /readyz, /metrics)."""

    enabled: bool = False
    host: str = "127.0.0.1"
    port: int = Field(default=9464, ge=0, le=65535)
    stale_factor: float = Field(default=3.0, gt=1, description="stale after N intervals")


class LogSettings(BaseModel):
    """Logging."""

    level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    format: Literal["auto", "console", "json"] = "auto"


class Settings(BaseSettings):
    """The whole settings tree."""

    model_config = SettingsConfigDict(
        env_prefix="SYNCD_", env_nested_delimiter="__", extra="forbid", frozen=True
    )

    database: DatabaseSettings = DatabaseSettings()
    managem: ManagemSettings = ManagemSettings()
    ratelimit: RateLimitSettings = RateLimitSettings()
    schedule: ScheduleSettings = ScheduleSettings()
    safety: SafetySettings = SafetySettings()
    prices: PricesSettings = PricesSettings()
    health: HealthSettings = HealthSettings()
    log: LogSettings = LogSettings()

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        toml_path = _TOML_PATH.get("path")
        sources: list[PydanticBaseSettingsSource] = [
            init_settings,
            env_settings,
            _CredentialsSource(settings_cls),
        ]
        if toml_path is not None:
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=toml_path))
        return tuple(sources)


class _CredentialsSource(PydanticBaseSettingsSource):
    """systemd ``LoadCredential=managem_token:...``: the token from
    ``$CREDENTIALS_DIRECTORY/managem_token`` (below the environment, above the TOML file)."""

    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False

    def __call__(self) -> dict[str, Any]:
        folder = os.environ.get("CREDENTIALS_DIRECTORY")
        path = Path(folder, "managem_token") if folder else None
        if path is None or not path.is_file():
            return {}
        try:
            token = path.read_text(encoding="utf-8").strip()
        except (OSError, UnicodeError) as exc:  # the message names the file, never its bytes
            why = "not UTF-8 text" if isinstance(exc, UnicodeError) else exc.strerror
            raise ConfigError(f"credential file {path}: cannot read ({why})") from None
        return {"managem": {"token": token}}


# The TOML path for the load in progress; set and cleared inside load_settings only.
_TOML_PATH: dict[str, Path | None] = {"path": None}


def load_settings(config: str | Path | None = None, **overrides: Any) -> Settings:
    """Build the settings tree, or raise ConfigError naming the first bad setting."""
    path_text = str(config) if config is not None else os.environ.get("SYNCD_CONFIG")
    path = Path(path_text) if path_text else None
    if path is not None:
        if not path.is_file():
            raise ConfigError(f"config file {path}: not found")
        try:
            with path.open("rb") as fh:
                tomllib.load(fh)
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"config file {path}: not valid TOML ({exc})") from None
        except UnicodeDecodeError as exc:
            raise ConfigError(
                f"config file {path}: not UTF-8 text ({exc.reason} at byte {exc.start})"
            ) from None
        except OSError as exc:
            raise ConfigError(f"config file {path}: cannot read ({exc.strerror or exc})") from None
    _TOML_PATH["path"] = path
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        raise ConfigError(_describe(exc, path)) from None
    except SettingsError as exc:  # e.g. SYNCD_DATABASE=… that is not JSON; names no value
        raise ConfigError(f"settings: {exc}; set one value as SYNCD_GROUP__NAME") from None
    finally:
        _TOML_PATH["path"] = None


def _describe(exc: ValidationError, path: Path | None) -> str:
    """One line per problem: the setting in env-var form, and what is wrong."""
    lines = []
    for err in exc.errors():
        loc = [str(part) for part in err["loc"]]
        dotted = ".".join(loc)
        env = "SYNCD_" + "__".join(part.upper() for part in loc)
        where = f" (env {env}" + (f" or [{loc[0]}] in {path})" if path else ")")
        problem = err["msg"]
        if err["type"] == "extra_forbidden":
            problem = "unknown setting"
        lines.append(f"setting {dotted}{where}: {problem}")
    return "; ".join(lines)
