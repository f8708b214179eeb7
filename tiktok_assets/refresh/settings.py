"""Refresh settings, built from `tiktok_assets.settings.Settings` (the environment).

- `TIKTOK_REFRESH_POLICY` (`adaptive`): the day's plan of the refresh policy
  (`tiktok_assets.refresh.policy`), or `uniform`: the cadences below.
- `TIKTOK_REFRESH_FLOOR_DAYS` (14): under `adaptive`, every tracked route at least this often.
- `TIKTOK_REFRESH_CHUNK_IDS` (1000): ids per run (times the periods of the cadence).
- `TIKTOK_REFRESH_MAX_RUNS_PER_JOB` (12): runs per job and tick; chunks grow past
  `TIKTOK_REFRESH_CHUNK_IDS` to stay under it.
- `TIKTOK_DAILY_CRON` (`0 6 * * *`) and `TIKTOK_WEEKLY_CRON` (`0 7 * * 1`): when
  `daily_refresh_schedule` and `weekly_refresh_schedule` tick (read when the code loads).
- `TIKTOK_DAILY_PERIODS` (`1,7`) and `TIKTOK_WEEKLY_PERIODS` (`30,90`): the periods each
  schedule refreshes under `uniform` (`none`: no period); a period belongs to one schedule at
  most.
- `TIKTOK_DETAILS_CADENCE` (`daily`): the schedule that refreshes the profiles (shop,
  product and video detail) under `uniform`: `daily` or `weekly`.
- `TIKTOK_HISTORY_FIRST_PERIOD` (90), `TIKTOK_HISTORY_PERIOD` (7) and
  `TIKTOK_HISTORY_CADENCE` (`weekly`): a product's daily series is fetched over 90 days on
  its first fetch, then over 7 days on every weekly refresh (gapless; the overlap picks up
  late corrections); the period schedules refresh the totals only.
- `TIKTOK_SCHEDULE_TIMEZONE` (`UTC`): the time zone of the cron strings.
- `TIKTOK_DISCOVER_SHOPS` (1): the shops the products' profiles name are admitted by
  `shop_discovery_sensor` while the day's credits pay for them, and the adaptive plan keeps
  credits for those worth more than its marginal route (0: recorded in `discovery_candidates`,
  never admitted).
- `TIKTOK_DORMANT_DAYS` (30): a product that sold nothing for this many days and that no
  tracked list shows selling is dormant (`tracking.dormancy`): kept, with its partitions and
  rows, but neither refreshed nor priced until a list shows it selling again.

Sensors and schedules read the settings at every tick, so a changed variable applies at the
next tick once the code location reloads.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from functools import lru_cache

from tiktok_assets.settings import Settings, get_settings

_CRON_SAMPLE_START = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)  # a Monday
_CRON_SAMPLE_DAYS = 28
_DAYS_PER_MONTH = 365.25 / 12


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


CADENCE_NAMES = ("daily", "weekly")
"""The refresh cadences, each with its schedule (`<name>_refresh_schedule`)."""


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
class RefreshSettings:
    """Every knob of the refresh (see the module docstring for the variables)."""

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
    dormant_days: int = 30
    """Days without a sale after which a product on no selling list is no longer refreshed."""
    discover_shops: bool = True
    """Whether candidate shops are admitted (and their first fetch weighed in the plan)."""

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


def refresh_settings(settings: Settings | None = None) -> RefreshSettings:
    """The refresh settings the environment gives (defaults in the module docstring)."""
    s = settings or get_settings()
    cadences = tuple(
        Cadence(
            name,
            cron,
            periods,
            details=s.tiktok_details_cadence == name,
            timezone=s.tiktok_schedule_timezone,
        )
        for name, cron, periods in zip(
            CADENCE_NAMES,
            (s.tiktok_daily_cron, s.tiktok_weekly_cron),
            (s.tiktok_daily_periods, s.tiktok_weekly_periods),
            strict=True,
        )
    )
    return RefreshSettings(
        chunk_ids=s.tiktok_refresh_chunk_ids,
        max_runs_per_job=s.tiktok_refresh_max_runs_per_job,
        cadences=cadences,
        history=HistoryCadence(
            s.tiktok_history_first_period, s.tiktok_history_period, s.tiktok_history_cadence
        ),
        policy=s.tiktok_refresh_policy,
        floor_days=s.tiktok_refresh_floor_days,
        dormant_days=s.tiktok_dormant_days,
        discover_shops=s.tiktok_discover_shops,
    )
