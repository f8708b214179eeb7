"""The settings model: every variable the package reads, each bad value naming itself, the
README's table in step with it, and the key's value never shown."""

from __future__ import annotations

import datetime as dt
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from dagster import EnvVar

from tests.conftest import SECRET_KEY
from tiktok_assets import clock, resources
from tiktok_assets.settings import (
    ALLOWED,
    Settings,
    SettingsError,
    env_names,
    get_settings,
    load_settings,
)

README = Path(__file__).parents[1] / "README.md"
PACKAGE = Path(__file__).parents[1] / "tiktok_assets"


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in env_names():
        if name not in ("TIKTOK_TODAY", "TIKTOK_JOURNAL_SPOOL_DIR"):  # the session's pins
            monkeypatch.delenv(name, raising=False)


def _readme_variables() -> list[str]:
    text = README.read_text(encoding="utf-8")
    section = text.split("\n## Configuration\n", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"^\| `([A-Z_]+)` \|", section, flags=re.M)


def test_the_readme_table_lists_exactly_the_models_variables() -> None:
    listed = _readme_variables()
    assert len(listed) == len(set(listed))
    assert sorted(listed) == sorted(env_names())


def test_the_model_covers_every_variable_the_package_reads() -> None:
    read: set[str] = set()
    for path in PACKAGE.rglob("*.py"):
        if "sim" in path.relative_to(PACKAGE).parts or path.name == "settings.py":
            continue
        text = path.read_text(encoding="utf-8")
        read |= set(re.findall(r"environ(?:\.get)?[\[(]\s*\"([A-Z_]+)\"", text))
        read |= set(re.findall(r"EnvVar\(\s*\"([A-Z_]+)\"", text))
        read |= set(re.findall(r"getenv\(\s*\"([A-Z_]+)\"", text))
    assert read and read <= set(env_names())
    assert set(ALLOWED) == set(Settings.model_fields)


def test_defaults() -> None:
    s = load_settings()
    assert s.tiktok_api_rate_per_minute == 60
    assert (s.tiktok_monthly_credit_limit, s.tiktok_credit_reserve) == (20_000, 0)
    assert (s.tiktok_api_concurrency, s.tiktok_write_batch_partitions) == (8, 500)
    assert s.tiktok_max_partitions_per_run is None
    assert s.wh_api_key is None and s.tiktok_warehouse_url is None
    assert (s.tiktok_daily_periods, s.tiktok_weekly_periods) == ((1, 7), (30, 90))


def test_values_are_parsed(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in {
        "TIKTOK_API_RATE_PER_MINUTE": " 100_000 ",
        "TIKTOK_MAX_PARTITIONS_PER_RUN": "25",
        "TIKTOK_WEEKLY_PERIODS": "none",
        "TIKTOK_DETAILS_CADENCE": "Weekly",
        "TIKTOK_API_CONCURRENCY": "   ",  # blank: the default
        "DAGSTER_HOME": "/srv/dagster",
        "TIKTOK_API_ORIGIN": "https://api.example.com/",
    }.items():
        monkeypatch.setenv(name, value)
    s = load_settings()
    assert s.tiktok_api_rate_per_minute == 100_000
    assert s.tiktok_max_partitions_per_run == 25
    assert s.tiktok_weekly_periods == ()
    assert s.tiktok_details_cadence == "weekly"
    assert s.tiktok_api_concurrency == 8
    assert s.dagster_home == Path("/srv/dagster")
    assert s.tiktok_api_origin == "https://api.example.com"


BAD = [
    ("TIKTOK_API_ORIGIN", "ftp://api.example.com", "an http(s) origin"),
    ("TIKTOK_WAREHOUSE_URL", "not a url", "a SQLAlchemy URL"),
    ("TIKTOK_API_RATE_PER_MINUTE", "-5", "a whole number >= 0 (0 disables pacing)"),
    ("TIKTOK_API_RATE_PER_MINUTE", "sixty", "a whole number >= 0 (0 disables pacing)"),
    ("TIKTOK_API_RATE_PER_MINUTE", "2.5", "a whole number >= 0 (0 disables pacing)"),
    ("TIKTOK_MONTHLY_CREDIT_LIMIT", "lots", "a whole number of credits >= 0"),
    ("TIKTOK_CREDIT_RESERVE", "-1", "a whole number of credits >= 0"),
    ("TIKTOK_RECONCILE_SAMPLE", "-3", "a whole number >= 0 (partitions compared per source"),
    ("TIKTOK_TODAY", "24/11/2026", "an ISO date (YYYY-MM-DD)"),
    ("TIKTOK_HISTORY_FIRST_PERIOD", "60", "one of the periods 1, 7, 30, 90"),
    ("TIKTOK_HISTORY_PERIOD", "week", "one of the periods 1, 7, 30, 90"),
    ("TIKTOK_HISTORY_CADENCE", "monthly", "'daily' or 'weekly'"),
    ("TIKTOK_ALERT_ATTEMPTS", "0", "a whole number >= 1"),
    ("TIKTOK_ALERT_BACKOFF_SECONDS", "soon", "a number of seconds >= 0"),
    ("TIKTOK_API_CONCURRENCY", "0", "a whole number >= 1"),
    ("TIKTOK_MAX_PARTITIONS_PER_RUN", "all", "a whole number >= 1, or unset"),
    ("TIKTOK_WRITE_BATCH_PARTITIONS", "0", "a whole number >= 1"),
    ("TIKTOK_DISCOVERY_MAX_NEW_IDS_PER_TICK", "-3", "a whole number >= 1"),
    ("TIKTOK_DISCOVERY_TOP_N", "many", "a whole number >= 1"),
    ("TIKTOK_DISCOVERY_BUDGET_SHARE", "half", "a number >= 0"),
    ("TIKTOK_DISCOVERY_INTERVAL_SECONDS", "0", "a whole number of seconds >= 1"),
    ("TIKTOK_DISCOVER_SHOPS", "maybe", "1 or 0 (true/false, on/off)"),
    ("TIKTOK_DORMANT_DAYS", "0", "a whole number of days from 1 to 90"),
    ("TIKTOK_REFRESH_CHUNK_IDS", "0", "a whole number >= 1"),
    ("TIKTOK_REFRESH_MAX_RUNS_PER_JOB", "1e3", "a whole number >= 1"),
    ("TIKTOK_DAILY_CRON", "every day", "a valid cron string"),
    ("TIKTOK_WEEKLY_CRON", "0 7 * *", "a valid cron string"),
    ("TIKTOK_DAILY_PERIODS", "1,14", "comma-separated periods among 1, 7, 30, 90"),
    ("TIKTOK_WEEKLY_PERIODS", "weekly", "comma-separated periods among 1, 7, 30, 90"),
    ("TIKTOK_DETAILS_CADENCE", "hourly", "'daily' or 'weekly'"),
    ("TIKTOK_REFRESH_POLICY", "greedy", "'adaptive' (credits where they buy the most"),
    ("TIKTOK_REFRESH_FLOOR_DAYS", "0", "a whole number of days from 1 to 90"),
    ("TIKTOK_REFRESH_FLOOR_DAYS", "120", "a whole number of days from 1 to 90"),
    ("TIKTOK_SCHEDULE_TIMEZONE", "Mars/Olympus", "an IANA time zone name"),
    ("TIKTOK_AUTOMATION_DEFAULT_STATUS", "on", "'running' or 'stopped'"),
]


@pytest.mark.parametrize(("name", "value", "allowed"), BAD)
def test_a_bad_value_names_itself(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str, allowed: str
) -> None:
    monkeypatch.setenv("WH_API_KEY", SECRET_KEY)
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError) as raised:
        load_settings()
    message = str(raised.value)
    assert message.startswith(f"{name}={value!r}: must be {allowed}")
    assert message.count("must be") == 1  # only the bad variable is named
    assert SECRET_KEY not in message


def test_every_variable_with_rules_has_a_bad_value_above() -> None:
    free = {"WH_API_KEY", "TIKTOK_JOURNAL_SPOOL_DIR", "DAGSTER_HOME", "TIKTOK_TRACKED_FILE"}
    free |= {"TIKTOK_ALERTS_FILE", "TIKTOK_ALERT_WEBHOOK_URL"}  # a path; a secret
    assert {name for name, _, _ in BAD} == set(env_names()) - free


def test_a_reserve_above_the_limit_names_both(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TIKTOK_MONTHLY_CREDIT_LIMIT", "100")
    monkeypatch.setenv("TIKTOK_CREDIT_RESERVE", "101")
    with pytest.raises(
        SettingsError,
        match=re.escape("TIKTOK_CREDIT_RESERVE=101 is larger than TIKTOK_MONTHLY_CREDIT_LIMIT=100"),
    ):
        load_settings()


def test_a_password_in_a_bad_url_is_masked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TIKTOK_WAREHOUSE_URL", "postgresql://user:s3cret-pw@db:x:y/warehouse")
    with pytest.raises(SettingsError) as raised:
        load_settings()
    assert "s3cret" not in str(raised.value)
    assert "TIKTOK_WAREHOUSE_URL='postgresql://user:***@db:x:y/warehouse'" in str(raised.value)


def test_the_key_is_never_shown(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WH_API_KEY", SECRET_KEY)
    s = load_settings()
    assert s.wh_api_key is not None and s.wh_api_key.get_secret_value() == SECRET_KEY
    assert SECRET_KEY not in repr(s) and SECRET_KEY not in str(s)
    assert SECRET_KEY not in s.model_dump_json()


def test_today_is_read_at_every_call(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TIKTOK_TODAY", "2030-01-02")
    assert clock.today() == dt.date(2030, 1, 2) == get_settings().tiktok_today
    monkeypatch.setenv("TIKTOK_TODAY", "2030-01-03")
    assert clock.today() == dt.date(2030, 1, 3)
    monkeypatch.delenv("TIKTOK_TODAY")
    assert clock.today() == dt.datetime.now(dt.UTC).date()


def test_resources_bind_the_key_origin_and_url_by_name(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WH_API_KEY", SECRET_KEY)
    monkeypatch.setenv("TIKTOK_WAREHOUSE_URL", "postgresql+psycopg://u:pw@db/warehouse")
    monkeypatch.setenv("TIKTOK_API_RATE_PER_MINUTE", "120")
    monkeypatch.setenv("TIKTOK_MONTHLY_CREDIT_LIMIT", "5000")
    res = resources.resources()
    api, warehouse = res["api"], res["warehouse"]
    assert api._get_non_default_public_field_values()["api_key"] == EnvVar("WH_API_KEY")  # type: ignore[attr-defined]
    assert api._get_non_default_public_field_values()["origin"] == EnvVar("TIKTOK_API_ORIGIN")  # type: ignore[attr-defined]
    assert warehouse._get_non_default_public_field_values()["url"] == EnvVar("TIKTOK_WAREHOUSE_URL")  # type: ignore[attr-defined]
    assert api.rate_per_minute == 120  # type: ignore[attr-defined]
    assert res["credit_budget"].monthly_credit_limit == 5000  # type: ignore[attr-defined]


def test_a_database_url_is_checked_by_its_grammar_without_importing_sqlalchemy() -> None:
    """Loading the code location with TIKTOK_WAREHOUSE_URL set stays light (issue #15)."""
    code = (
        "import sys, tiktok_assets.definitions; "
        "print(sorted(m for m in ('sqlalchemy', 'pandas', 'httpx') if m in sys.modules))"
    )
    env = {**os.environ, "TIKTOK_WAREHOUSE_URL": "postgresql+psycopg://u:secret@db:5432/w"}
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "[]"


@pytest.mark.parametrize(
    "url",
    ["sqlite:///data/w.db", "sqlite://", "postgresql+psycopg://postgres@127.0.0.1:5432/test"],
)
def test_database_urls_sqlalchemy_reads_are_accepted(
    url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TIKTOK_WAREHOUSE_URL", url)
    assert load_settings().tiktok_warehouse_url == url


def test_a_database_url_with_a_port_that_is_no_number_names_the_variable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TIKTOK_WAREHOUSE_URL", "postgresql://db:port/w")
    with pytest.raises(SettingsError, match="TIKTOK_WAREHOUSE_URL='postgresql://db:port/w'"):
        load_settings()
