"""Discovery settings, built from `tiktok_assets.settings.Settings` (the environment).

- `TIKTOK_TRACKED_FILE` (default `<project root>/tracked.yaml`): the seed ids the
  `tracked_ids_sensor` reads (`tracking.seeds.tracked_file`).
- `TIKTOK_DISCOVERY_MAX_NEW_IDS_PER_TICK` (500): new ids one discovery tick may add.
- `TIKTOK_DISCOVERY_TOP_N` (20): products taken from each shop or creator list, by revenue.
- `TIKTOK_DISCOVERY_BUDGET_SHARE` (1.0): share of the usable monthly credits (limit - reserve)
  the tracked set's projected refresh may cost; discovery adds nothing past it (0: no rule).
"""

from __future__ import annotations

import dataclasses

from tiktok_assets.settings import Settings, get_settings


@dataclasses.dataclass(frozen=True)
class DiscoverySettings:
    """How the tracked set grows from what the fetched data names."""

    max_new_ids_per_tick: int = 500
    top_n: int = 20
    budget_share: float = 1.0


def discovery_settings(settings: Settings | None = None) -> DiscoverySettings:
    """The discovery settings the environment gives (defaults in the module docstring)."""
    s = settings or get_settings()
    return DiscoverySettings(
        max_new_ids_per_tick=s.tiktok_discovery_max_new_ids_per_tick,
        top_n=s.tiktok_discovery_top_n,
        budget_share=s.tiktok_discovery_budget_share,
    )
