"""Tracking: which ids the pipeline follows, how the set grows, and how it is refreshed.

- `seeds`: `tracked.yaml` and command-line ids, validated;
- `discovery`: ids named by fetched rows (product lists, video details), and the rules;
- `budget`: the projected monthly cost of the tracked set and the ceiling discovery keeps;
- `batches`: ids as contiguous partition-key ranges, priced, fitted to the month's credits;
- `ticks`: what each sensor and schedule tick decides (wrapped in `tiktok_assets.sensors`
  and `tiktok_assets.schedules`);
- `settings`: the environment variables and their defaults;
- `cli`: `tiktok-assets track` and `untrack`.
"""

from tiktok_assets.tracking.settings import TrackingSettings, settings_from_env

__all__ = ["TrackingSettings", "settings_from_env"]
