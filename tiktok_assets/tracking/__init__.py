"""Tracking: which ids the pipeline follows, and how the set grows.

- `seeds`: `tracked.yaml` and command-line ids, validated;
- `tracked`: the tracked set, as the instance's dynamic partitions;
- `discovery`: ids named by fetched rows (product lists, video details), and the rules;
- `settings`: discovery's environment variables and their defaults.

What is fetched for them, and when, is `tiktok_assets.refresh`'s business.
"""
