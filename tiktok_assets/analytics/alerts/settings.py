"""The alerts' settings, read from the environment once per evaluation.

- `TIKTOK_ALERTS_FILE` (default `<project root>/alerts.yaml`): the watch rules.
- `TIKTOK_ALERT_WEBHOOK_URL` (unset: alerts are recorded, not sent): where firings are
  POSTed (a Slack incoming webhook, or any receiver of JSON). A secret: never logged.
- `TIKTOK_ALERT_ATTEMPTS` (3): tries per alert and evaluation.
- `TIKTOK_ALERT_BACKOFF_SECONDS` (1.0): the first retry's wait, doubled each time.
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

FILE_ENV = "TIKTOK_ALERTS_FILE"
WEBHOOK_ENV = "TIKTOK_ALERT_WEBHOOK_URL"
ATTEMPTS_ENV = "TIKTOK_ALERT_ATTEMPTS"
BACKOFF_ENV = "TIKTOK_ALERT_BACKOFF_SECONDS"


@dataclasses.dataclass(frozen=True)
class AlertSettings:
    rules_file: Path
    webhook_url: str | None
    attempts: int = 3
    backoff_seconds: float = 1.0

    def __repr__(self) -> str:  # the webhook URL is a secret
        sent = "set" if self.webhook_url else "unset"
        return f"AlertSettings(rules_file={str(self.rules_file)!r}, webhook={sent})"


def alert_settings_from_env() -> AlertSettings:
    from tiktok_assets.warehouse.resource import project_root

    def number(name: str, default: float, kind: type) -> float:
        raw = os.environ.get(name, "").strip()
        if not raw:
            return default
        try:
            value = kind(raw)
        except ValueError:
            raise ValueError(f"{name}={raw!r} is not a number") from None
        if value < (1 if kind is int else 0):
            raise ValueError(f"{name}={raw!r} is out of range")
        return value

    path = os.environ.get(FILE_ENV, "").strip()
    return AlertSettings(
        rules_file=Path(path) if path else project_root() / "alerts.yaml",
        webhook_url=os.environ.get(WEBHOOK_ENV, "").strip() or None,
        attempts=int(number(ATTEMPTS_ENV, 3, int)),
        backoff_seconds=float(number(BACKOFF_ENV, 1.0, float)),
    )
