"""`Settings`: every environment variable the package reads, parsed and validated in one place.

Each field is named after its variable (`tiktok_api_rate_per_minute` is
`TIKTOK_API_RATE_PER_MINUTE`); an unset or blank variable takes the field's default. A bad
value fails at load with a `SettingsError` naming the variable, its value and what is
allowed; the API key's value is never shown. `get_settings()` re-reads the environment at
every call (parsing again only when a variable changed), so a changed `TIKTOK_TODAY` applies
at once. The simulator's `TIKTOK_SIM_*` variables are its own (`tiktok_assets.sim.config`).
"""

from __future__ import annotations

import datetime as dt
import functools
import os
import re
import zoneinfo
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import BeforeValidator, Field, SecretStr, ValidationError, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from tiktok_assets.names import AGGREGATE_PERIODS


class SettingsError(ValueError):
    """One or more environment variables hold a value the package cannot use."""


def _stripped(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


def _whole(value: Any) -> Any:
    """A whole number; `20_000` allowed, `2.5` and words not."""
    value = _stripped(value)
    if isinstance(value, str):
        if not re.fullmatch(r"[+-]?\d+", value.replace("_", "")):
            raise ValueError("not a whole number")
        return int(value.replace("_", ""))
    return value


def _flag(value: Any) -> Any:
    """`1`/`0`, `true`/`false`, `yes`/`no`, `on`/`off` (any case)."""
    value = _stripped(value)
    if isinstance(value, str):
        words = {"1": True, "true": True, "yes": True, "on": True}
        words |= {"0": False, "false": False, "no": False, "off": False}
        if value.lower() not in words:
            raise ValueError("not a flag")
        return words[value.lower()]
    return value


def _lower(value: Any) -> Any:
    value = _stripped(value)
    return value.lower() if isinstance(value, str) else value


def _periods(value: Any) -> Any:
    """`1,7` -> (1, 7); `none` -> (); each among the aggregate periods."""
    value = _stripped(value)
    if not isinstance(value, str):
        return value
    if value.lower() == "none":
        return ()
    periods = tuple(sorted({int(_whole(p)) for p in value.split(",") if p.strip()}))
    if not periods or any(p not in AGGREGATE_PERIODS for p in periods):
        raise ValueError("not a list of aggregate periods")
    return periods


def _period(value: Any) -> Any:
    """One aggregate period: 1, 7, 30 or 90."""
    value = _whole(value)
    if value not in AGGREGATE_PERIODS:
        raise ValueError("not an aggregate period")
    return value


def _cron(value: Any) -> Any:
    from tiktok_assets.cron import is_cron

    value = _stripped(value)
    if not isinstance(value, str) or not is_cron(value):
        raise ValueError("not a cron string")
    return value


def _timezone(value: Any) -> Any:
    value = _stripped(value)
    try:
        zoneinfo.ZoneInfo(value)
    except (ValueError, TypeError, zoneinfo.ZoneInfoNotFoundError):
        raise ValueError("not a time zone") from None
    return value


def _origin(value: Any) -> Any:
    value = _stripped(value)
    if not isinstance(value, str):
        return value
    url = urlsplit(value)
    if url.scheme not in ("http", "https") or not url.hostname:
        raise ValueError("not an http(s) origin")
    return value.rstrip("/")


_DATABASE_URL = re.compile(
    r"(?P<dialect>[A-Za-z][\w+]*)://"  # dialect[+driver]://
    r"(?:[^:/@]*(?::[^@]*)?@)?"  # user[:password]@
    r"(?:\[[^/?\]]+\]|[^/:?]*)?(?::(?P<port>[^/?]*))?"  # host[:port]
    r"(?:/[^?]*)?(?:\?.*)?",  # /database?query
    re.DOTALL,
)


def _database_url(value: Any) -> Any:
    """A database URL in SQLAlchemy's form (`dialect[+driver]://[user[:password]@][host[:port]]
    [/database][?query]`), checked by its grammar: importing SQLAlchemy here would make every
    load of the code location pay for it."""
    value = _stripped(value)
    if not isinstance(value, str):
        return value
    match = _DATABASE_URL.fullmatch(value)
    if match is None or not (match["port"] or "0").isdigit():
        raise ValueError("not a SQLAlchemy URL")
    return value


def _iso_date(value: Any) -> Any:
    value = _stripped(value)
    return dt.date.fromisoformat(value) if isinstance(value, str) else value


Whole = Annotated[int, BeforeValidator(_whole)]
Periods = Annotated[tuple[int, ...], NoDecode, BeforeValidator(_periods)]
Cron = Annotated[str, BeforeValidator(_cron)]


class Settings(BaseSettings):
    """The package's configuration, one field per environment variable."""

    model_config = SettingsConfigDict(
        case_sensitive=False, env_ignore_empty=True, extra="ignore", frozen=True
    )

    # -- the API and the warehouse (bound to the resources as `EnvVar`s by name) ----------
    wh_api_key: SecretStr | None = None
    tiktok_api_origin: Annotated[str | None, BeforeValidator(_origin)] = None
    tiktok_warehouse_url: Annotated[str | None, BeforeValidator(_database_url)] = None
    # -- the credit economy ------------------------------------------------------------------
    tiktok_api_rate_per_minute: Whole = Field(default=60, ge=0)
    tiktok_monthly_credit_limit: Whole = Field(default=20_000, ge=0)
    tiktok_credit_reserve: Whole = Field(default=0, ge=0)
    tiktok_reconcile_sample: Whole = Field(default=3, ge=0)
    tiktok_journal_spool_dir: Path | None = None
    tiktok_today: Annotated[dt.date | None, BeforeValidator(_iso_date)] = None
    dagster_home: Path | None = None
    # -- runs --------------------------------------------------------------------------------
    tiktok_api_concurrency: Whole = Field(default=8, ge=1)
    tiktok_max_partitions_per_run: Whole | None = Field(default=None, ge=1)
    tiktok_write_batch_partitions: Whole = Field(default=500, ge=1)
    # -- tracking and discovery --------------------------------------------------------------
    tiktok_tracked_file: Path | None = None
    tiktok_discovery_max_new_ids_per_tick: Whole = Field(default=500, ge=1)
    tiktok_discovery_top_n: Whole = Field(default=20, ge=1)
    tiktok_discovery_budget_share: Annotated[float, BeforeValidator(_stripped)] = Field(
        default=1.0, ge=0
    )
    tiktok_discovery_interval_seconds: Whole = Field(default=60, ge=1)
    tiktok_discover_shops: Annotated[bool, BeforeValidator(_flag)] = True
    tiktok_dormant_days: Whole = Field(default=30, ge=1, le=90)
    tiktok_refresh_chunk_ids: Whole = Field(default=1000, ge=1)
    tiktok_refresh_max_runs_per_job: Whole = Field(default=12, ge=1)
    tiktok_daily_cron: Cron = "0 6 * * *"
    tiktok_weekly_cron: Cron = "0 7 * * 1"
    tiktok_daily_periods: Periods = (1, 7)
    tiktok_weekly_periods: Periods = (30, 90)
    tiktok_details_cadence: Annotated[Literal["daily", "weekly"], BeforeValidator(_lower)] = "daily"
    tiktok_history_first_period: Annotated[int, BeforeValidator(_period)] = 90
    tiktok_history_period: Annotated[int, BeforeValidator(_period)] = 7
    tiktok_history_cadence: Annotated[Literal["daily", "weekly"], BeforeValidator(_lower)] = (
        "weekly"
    )
    tiktok_refresh_policy: Annotated[Literal["adaptive", "uniform"], BeforeValidator(_lower)] = (
        "adaptive"
    )
    tiktok_refresh_floor_days: Whole = Field(default=14, ge=1, le=90)
    tiktok_schedule_timezone: Annotated[str, BeforeValidator(_timezone)] = "UTC"
    tiktok_automation_default_status: Annotated[
        Literal["running", "stopped"], BeforeValidator(_lower)
    ] = "stopped"
    # -- alerts ------------------------------------------------------------------------------
    tiktok_alerts_file: Path | None = None
    tiktok_alert_webhook_url: SecretStr | None = None
    tiktok_alert_attempts: Whole = Field(default=3, ge=1)
    tiktok_alert_backoff_seconds: Annotated[float, BeforeValidator(_stripped)] = Field(
        default=1.0, ge=0
    )

    @property
    def automation_running(self) -> bool:
        """True when `TIKTOK_AUTOMATION_DEFAULT_STATUS=running`: the sensors and schedules that
        spend credits start RUNNING when the code location loads."""
        return self.tiktok_automation_default_status == "running"

    @model_validator(mode="before")
    @classmethod
    def _blank_is_unset(cls, data: Any) -> Any:
        """A variable holding only spaces counts as unset, as an empty one does."""
        if isinstance(data, dict):
            return {k: v for k, v in data.items() if not (isinstance(v, str) and not v.strip())}
        return data

    @model_validator(mode="after")
    def _reserve_within_limit(self) -> Settings:
        if self.tiktok_credit_reserve > self.tiktok_monthly_credit_limit:
            raise ValueError(
                f"TIKTOK_CREDIT_RESERVE={self.tiktok_credit_reserve} is larger than "
                f"TIKTOK_MONTHLY_CREDIT_LIMIT={self.tiktok_monthly_credit_limit}"
            )
        return self


ALLOWED = {
    "wh_api_key": "the vendor's API key",
    "tiktok_api_origin": "an http(s) origin, e.g. https://api.example.com",
    "tiktok_warehouse_url": "a SQLAlchemy URL, e.g. postgresql+psycopg://user@host/db",
    "tiktok_api_rate_per_minute": "a whole number >= 0 (0 disables pacing)",
    "tiktok_monthly_credit_limit": "a whole number of credits >= 0",
    "tiktok_credit_reserve": "a whole number of credits >= 0, at most the monthly limit",
    "tiktok_reconcile_sample": (
        "a whole number >= 0 (partitions compared per source, asset and day; 0 trusts "
        "derived numbers without checking)"
    ),
    "tiktok_journal_spool_dir": "a folder path",
    "tiktok_today": "an ISO date (YYYY-MM-DD); unset it to use the real UTC date",
    "dagster_home": "a folder path",
    "tiktok_api_concurrency": "a whole number >= 1",
    "tiktok_max_partitions_per_run": "a whole number >= 1, or unset (one run per range)",
    "tiktok_write_batch_partitions": "a whole number >= 1",
    "tiktok_tracked_file": "a file path",
    "tiktok_discovery_max_new_ids_per_tick": "a whole number >= 1",
    "tiktok_discovery_top_n": "a whole number >= 1",
    "tiktok_discovery_budget_share": "a number >= 0 (0: no budget rule)",
    "tiktok_discovery_interval_seconds": "a whole number of seconds >= 1",
    "tiktok_discover_shops": "1 or 0 (true/false, on/off): whether discovery adds shops",
    "tiktok_dormant_days": "a whole number of days from 1 to 90",
    "tiktok_refresh_chunk_ids": "a whole number >= 1",
    "tiktok_refresh_max_runs_per_job": "a whole number >= 1",
    "tiktok_daily_cron": "a valid cron string, e.g. '0 6 * * *'",
    "tiktok_weekly_cron": "a valid cron string, e.g. '0 7 * * 1'",
    "tiktok_daily_periods": "comma-separated periods among 1, 7, 30, 90, or 'none'",
    "tiktok_weekly_periods": "comma-separated periods among 1, 7, 30, 90, or 'none'",
    "tiktok_details_cadence": "'daily' or 'weekly'",
    "tiktok_history_first_period": "one of the periods 1, 7, 30, 90",
    "tiktok_history_period": "one of the periods 1, 7, 30, 90",
    "tiktok_history_cadence": "'daily' or 'weekly'",
    "tiktok_refresh_policy": "'adaptive' (credits where they buy the most freshness) or 'uniform'",
    "tiktok_refresh_floor_days": "a whole number of days from 1 to 90",
    "tiktok_schedule_timezone": "an IANA time zone name, e.g. UTC or Europe/Paris",
    "tiktok_automation_default_status": "'running' or 'stopped'",
    "tiktok_alerts_file": "a file path",
    "tiktok_alert_webhook_url": "a URL (a secret: never shown)",
    "tiktok_alert_attempts": "a whole number >= 1",
    "tiktok_alert_backoff_seconds": "a number of seconds >= 0",
}
"""What each variable may hold, as error messages say it."""

SECRET = frozenset({"wh_api_key", "tiktok_alert_webhook_url"})
"""Variables whose value no message shows."""


def env_names() -> list[str]:
    """Every variable the model reads, in field order."""
    return [name.upper() for name in Settings.model_fields]


def _shown(field: str, value: Any) -> str:
    if field in SECRET:
        return "(value not shown)"
    text = str(value)
    return repr(re.sub(r"://([^:/@]*):[^@/]*@", r"://\1:***@", text))  # a URL's password


def _message(error: ValidationError) -> str:
    lines = []
    for item in error.errors():
        field = str(item["loc"][0]) if item["loc"] else ""
        if field in ALLOWED:
            value = _shown(field, item.get("input"))
            lines.append(f"{field.upper()}={value}: must be {ALLOWED[field]}")
        else:  # a rule across variables: its message names them
            lines.append(str(item["msg"]).removeprefix("Value error, "))
    return "; ".join(lines)


def load_settings() -> Settings:
    """The settings the environment gives now, or a `SettingsError` naming each bad variable."""
    try:
        return Settings()
    except ValidationError as exc:
        raise SettingsError(_message(exc)) from None


@functools.lru_cache(maxsize=16)
def _settings_for(environment: tuple[str | None, ...]) -> Settings:
    return load_settings()


def get_settings() -> Settings:
    """The current settings: the environment is read at every call, parsed when it changed."""
    return _settings_for(tuple(os.environ.get(name) for name in env_names()))
