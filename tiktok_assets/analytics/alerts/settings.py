"""The alerts' settings, read from the environment once per evaluation.

- `TIKTOK_ALERTS_FILE` (default `<project root>/alerts.yaml`): the watch rules.
- `TIKTOK_ALERT_WEBHOOK_URL` (unset: alerts are recorded, not sent): where firings are
  POSTed (a Slack incoming webhook, or any receiver of JSON). A secret: never logged.
- `TIKTOK_ALERT_ATTEMPTS` (3): tries per alert and evaluation.
- `TIKTOK_ALERT_BACKOFF_SECONDS` (1.0): the first retry's wait, doubled each time.
"""

from __future__ import annotations

import dataclasses
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
    """The alerts' settings from the package's settings model (the environment)."""
    from tiktok_assets.settings import get_settings
    from tiktok_assets.warehouse.resource import project_root

    s = get_settings()
    webhook = s.tiktok_alert_webhook_url
    return AlertSettings(
        rules_file=s.tiktok_alerts_file or project_root() / "alerts.yaml",
        webhook_url=webhook.get_secret_value() if webhook else None,
        attempts=s.tiktok_alert_attempts,
        backoff_seconds=s.tiktok_alert_backoff_seconds,
    )
