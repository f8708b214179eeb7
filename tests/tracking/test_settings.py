"""Tracking settings from the environment: defaults, validation, cadence arithmetic."""

from __future__ import annotations

import re

import pytest

from tiktok_assets.refresh.settings import refresh_settings, ticks_per_month
from tiktok_assets.settings import get_settings
from tiktok_assets.tracking.seeds import tracked_file
from tiktok_assets.tracking.settings import discovery_settings
from tiktok_assets.warehouse.resource import project_root

ENV = [
    "TIKTOK_DISCOVERY_MAX_NEW_IDS_PER_TICK",
    "TIKTOK_DISCOVERY_TOP_N",
    "TIKTOK_DISCOVERY_BUDGET_SHARE",
    "TIKTOK_REFRESH_CHUNK_IDS",
    "TIKTOK_REFRESH_MAX_RUNS_PER_JOB",
    "TIKTOK_DAILY_CRON",
    "TIKTOK_WEEKLY_CRON",
    "TIKTOK_DAILY_PERIODS",
    "TIKTOK_WEEKLY_PERIODS",
    "TIKTOK_DETAILS_CADENCE",
    "TIKTOK_SCHEDULE_TIMEZONE",
    "TIKTOK_AUTOMATION_DEFAULT_STATUS",
    "TIKTOK_TRACKED_FILE",
]


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ENV:
        monkeypatch.delenv(name, raising=False)


def test_defaults() -> None:
    d, s = discovery_settings(), refresh_settings()
    assert (d.max_new_ids_per_tick, d.top_n, d.budget_share) == (500, 20, 1.0)
    assert (s.chunk_ids, s.max_runs_per_job) == (1000, 12)
    daily, weekly = s.cadence("daily"), s.cadence("weekly")
    assert (daily.cron, daily.periods, daily.details) == ("0 6 * * *", (1, 7), True)
    assert (weekly.cron, weekly.periods, weekly.details) == ("0 7 * * 1", (30, 90), False)
    assert daily.schedule_name == "daily_refresh_schedule"
    assert tracked_file() == project_root() / "tracked.yaml"
    assert get_settings().automation_running is False


def test_environment_overrides(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    monkeypatch.setenv("TIKTOK_DISCOVERY_MAX_NEW_IDS_PER_TICK", "50")
    monkeypatch.setenv("TIKTOK_DISCOVERY_TOP_N", "3")
    monkeypatch.setenv("TIKTOK_REFRESH_CHUNK_IDS", "2_000")
    monkeypatch.setenv("TIKTOK_DAILY_PERIODS", "1")
    monkeypatch.setenv("TIKTOK_WEEKLY_PERIODS", "7,30,90")
    monkeypatch.setenv("TIKTOK_DETAILS_CADENCE", "weekly")
    monkeypatch.setenv("TIKTOK_DAILY_CRON", "30 2 * * *")
    monkeypatch.setenv("TIKTOK_TRACKED_FILE", str(tmp_path / "ids.yaml"))
    monkeypatch.setenv("TIKTOK_AUTOMATION_DEFAULT_STATUS", "Running")
    d, s = discovery_settings(), refresh_settings()
    assert (d.max_new_ids_per_tick, d.top_n, s.chunk_ids) == (50, 3, 2000)
    assert s.cadence("daily").periods == (1,)
    assert s.cadence("daily").cron == "30 2 * * *"
    assert not s.cadence("daily").details
    assert s.cadence("weekly").periods == (7, 30, 90)
    assert s.cadence("weekly").details
    assert tracked_file() == tmp_path / "ids.yaml"
    assert get_settings().automation_running is True


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("TIKTOK_DISCOVERY_TOP_N", "many", "TIKTOK_DISCOVERY_TOP_N='many': must be a whole number"),
        (
            "TIKTOK_DISCOVERY_MAX_NEW_IDS_PER_TICK",
            "0",
            "TIKTOK_DISCOVERY_MAX_NEW_IDS_PER_TICK='0': must be a whole number >= 1",
        ),
        (
            "TIKTOK_DISCOVERY_BUDGET_SHARE",
            "-1",
            "TIKTOK_DISCOVERY_BUDGET_SHARE='-1': must be a number >= 0",
        ),
        (
            "TIKTOK_DAILY_PERIODS",
            "1,14",
            "TIKTOK_DAILY_PERIODS='1,14': must be comma-separated periods among 1, 7, 30, 90",
        ),
        ("TIKTOK_WEEKLY_PERIODS", "7,30", "period 7 is refreshed by both"),
        (
            "TIKTOK_DAILY_CRON",
            "every day",
            "TIKTOK_DAILY_CRON='every day': must be a valid cron string",
        ),
        (
            "TIKTOK_DETAILS_CADENCE",
            "hourly",
            "TIKTOK_DETAILS_CADENCE='hourly': must be 'daily' or 'weekly'",
        ),
    ],
)
def test_invalid_values_name_the_variable(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str, message: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ValueError, match=re.escape(message)):
        discovery_settings()
        refresh_settings()


def test_default_status_rejects_other_words(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TIKTOK_AUTOMATION_DEFAULT_STATUS", "on")
    with pytest.raises(
        ValueError, match="TIKTOK_AUTOMATION_DEFAULT_STATUS='on': must be 'running' or 'stopped'"
    ):
        get_settings().automation_running  # noqa: B018


@pytest.mark.parametrize(
    ("cron", "expected"),
    [("0 6 * * *", 30.44), ("0 7 * * 1", 4.35), ("0 * * * *", 730.5), ("0 6 1 * *", 1.09)],
)
def test_ticks_per_month(cron: str, expected: float) -> None:
    assert ticks_per_month(cron) == pytest.approx(expected, rel=0.01)
