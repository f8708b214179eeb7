"""Tracking settings, built from `tiktok_assets.settings.Settings` (the environment).

- `TIKTOK_TRACKED_FILE` (default `<project root>/tracked.yaml`): the seed ids the
  `tracked_ids_sensor` reads.
- `TIKTOK_DISCOVERY_MAX_NEW_IDS_PER_TICK` (500): new ids one discovery tick may add.
- `TIKTOK_DISCOVERY_TOP_N` (20): products taken from each shop or creator list, by revenue.
- `TIKTOK_DISCOVERY_BUDGET_SHARE` (1.0): share of the usable monthly credits (limit - reserve)
  the tracked set's projected refresh may cost; discovery adds nothing past it (0: no rule).
- `TIKTOK_REFRESH_CHUNK_IDS` (1000): ids per run (times the periods of the cadence).
- `TIKTOK_REFRESH_MAX_RUNS_PER_JOB` (12): runs per job and tick; chunks grow past
  `TIKTOK_REFRESH_CHUNK_IDS` to stay under it.
- `TIKTOK_DAILY_CRON` (`0 6 * * *`) and `TIKTOK_WEEKLY_CRON` (`0 7 * * 1`): when
  `daily_refresh_schedule` and `weekly_refresh_schedule` tick (read when the code loads).
- `TIKTOK_DAILY_PERIODS` (`1,7`) and `TIKTOK_WEEKLY_PERIODS` (`30,90`): the periods each
  schedule refreshes (`none`: no period); a period belongs to one schedule at most.
- `TIKTOK_DETAILS_CADENCE` (`daily`): the schedule that refreshes the profiles (shop,
  product and video detail): `daily` or `weekly`.
- `TIKTOK_HISTORY_FIRST_PERIOD` (90), `TIKTOK_HISTORY_PERIOD` (7) and
  `TIKTOK_HISTORY_CADENCE` (`weekly`): a product's daily series is fetched over 90 days on
  its first fetch, then over 7 days on every weekly refresh (gapless; the overlap picks up
  late corrections); the period schedules refresh the totals only.
- `TIKTOK_SCHEDULE_TIMEZONE` (`UTC`): the time zone of the cron strings.
- `TIKTOK_AUTOMATION_DEFAULT_STATUS` (`stopped`): default status of every tracking sensor
  and schedule; `running` starts them when the code location loads (a toggle in the UI
  or `dagster sensor|schedule start|stop` overrides it).

Sensors and schedules read the settings at every tick, so a changed variable applies at the
next tick once the code location reloads.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from functools import lru_cache
from pathlib import Path

from tiktok_assets.settings import Settings, get_settings
from tiktok_assets.warehouse.resource import project_root

_CRON_SAMPLE_START = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)  # a Monday
_CRON_SAMPLE_DAYS = 28
_DAYS_PER_MONTH = 365.25 / 12


def tracked_file(settings: Settings | None = None) -> Path:
    """`TIKTOK_TRACKED_FILE`, or `tracked.yaml` at the project root."""
    configured = (settings or get_settings()).tiktok_tracked_file
    return configured or project_root() / "tracked.yaml"


def automation_running_by_default(settings: Settings | None = None) -> bool:
    """True when `TIKTOK_AUTOMATION_DEFAULT_STATUS=running` (default: `stopped`)."""
    return (settings or get_settings()).tiktok_automation_default_status == "running"


@lru_cache(maxsize=64)
def ticks_per_month(cron: str, timezone: str = "UTC") -> float:
    """How many times a cron string fires in an average month."""
    from tiktok_assets.cron import ticks

    end = _CRON_SAMPLE_START + dt.timedelta(days=_CRON_SAMPLE_DAYS)
    return len(ticks(cron, timezone, _CRON_SAMPLE_START, end)) * _DAYS_PER_MONTH / _CRON_SAMPLE_DAYS


@dataclasses.dataclass(frozen=True)
class Cadence:
    """One refresh schedule: when it ticks, which periods and whether the profiles."""

    name: str
    cron: str
    periods: tuple[int, ...]
    details: bool
    timezone: str = "UTC"

    @property
    def schedule_name(self) -> str:
        return f"{self.name}_refresh_schedule"

    @property
    def runs_per_month(self) -> float:
        return ticks_per_month(self.cron, self.timezone)


HISTORY_ASSET = "product_history"


@dataclasses.dataclass(frozen=True)
class HistoryCadence:
    """How the daily series stay gapless for little: `first_period` days on a product's first
    fetch, then `period` days on every tick of the `cadence` schedule; the overlap of each
    fetch with the last picks up the vendor's late corrections of the last days. Shorter
    series and the totals of a day are derived from a series fetched that day."""

    first_period: int = 90
    period: int = 7
    cadence: str = "weekly"

    def __post_init__(self) -> None:
        gap = {"daily": 1, "weekly": 7}.get(self.cadence)
        if gap is None:
            raise ValueError(f"TIKTOK_HISTORY_CADENCE={self.cadence!r} must be 'daily' or 'weekly'")
        if self.period < gap:
            raise ValueError(
                f"TIKTOK_HISTORY_PERIOD={self.period} leaves gaps between {self.cadence} "
                f"refreshes: it must be at least {gap} days"
            )
        if self.first_period < self.period:
            raise ValueError(
                f"TIKTOK_HISTORY_FIRST_PERIOD={self.first_period} must be at least "
                f"TIKTOK_HISTORY_PERIOD={self.period}"
            )


@dataclasses.dataclass(frozen=True)
class TrackingSettings:
    """Every knob of discovery and refresh (see the module docstring for the variables)."""

    max_new_ids_per_tick: int = 500
    top_n: int = 20
    budget_share: float = 1.0
    chunk_ids: int = 1000
    max_runs_per_job: int = 12
    cadences: tuple[Cadence, ...] = (
        Cadence("daily", "0 6 * * *", (1, 7), details=True),
        Cadence("weekly", "0 7 * * 1", (30, 90), details=False),
    )
    history: HistoryCadence = HistoryCadence()
    policy: str = "adaptive"
    """`adaptive` (the refresh policy of `tiktok_assets.refresh`) or `uniform` (the cadences)."""
    floor_days: int = 14
    """The adaptive policy's floor: every tracked route at least this often."""

    @property
    def adaptive(self) -> bool:
        return self.policy == "adaptive"

    def __post_init__(self) -> None:
        seen: dict[int, str] = {}
        for cadence in self.cadences:
            for period in cadence.periods:
                if period in seen:
                    raise ValueError(
                        f"period {period} is refreshed by both the {seen[period]} and the "
                        f"{cadence.name} schedule; give it to one (TIKTOK_*_PERIODS)"
                    )
                seen[period] = cadence.name

    def cadence(self, name: str) -> Cadence:
        return next(c for c in self.cadences if c.name == name)


def settings_from_env(settings: Settings | None = None) -> TrackingSettings:
    """The tracking settings the environment gives (defaults in the module docstring)."""
    s = settings or get_settings()
    cadences = tuple(
        Cadence(
            name,
            cron,
            periods,
            details=s.tiktok_details_cadence == name,
            timezone=s.tiktok_schedule_timezone,
        )
        for name, cron, periods in (
            ("daily", s.tiktok_daily_cron, s.tiktok_daily_periods),
            ("weekly", s.tiktok_weekly_cron, s.tiktok_weekly_periods),
        )
    )
    return TrackingSettings(
        max_new_ids_per_tick=s.tiktok_discovery_max_new_ids_per_tick,
        top_n=s.tiktok_discovery_top_n,
        budget_share=s.tiktok_discovery_budget_share,
        chunk_ids=s.tiktok_refresh_chunk_ids,
        max_runs_per_job=s.tiktok_refresh_max_runs_per_job,
        cadences=cadences,
        history=HistoryCadence(
            s.tiktok_history_first_period, s.tiktok_history_period, s.tiktok_history_cadence
        ),
        policy=s.tiktok_refresh_policy,
        floor_days=s.tiktok_refresh_floor_days,
    )
