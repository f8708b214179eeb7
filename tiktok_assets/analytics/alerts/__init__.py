"""Watch rules (`alerts.yaml`) evaluated on the analytics tables after each refresh; each
firing is recorded once in table `alerts` and, with a webhook set, POSTed until delivered."""

from __future__ import annotations

import dataclasses
import datetime as dt

import httpx
import sqlalchemy as sa

from tiktok_assets.analytics.alerts import deliver, store
from tiktok_assets.analytics.alerts.evaluate import Firing, evaluate
from tiktok_assets.analytics.alerts.rules import AlertsConfigError, Rule, load_rules
from tiktok_assets.analytics.alerts.settings import AlertSettings, alert_settings_from_env

__all__ = [
    "AlertSettings",
    "AlertsConfigError",
    "Firing",
    "Rule",
    "Summary",
    "alert_settings_from_env",
    "load_rules",
    "run_alerts",
]


@dataclasses.dataclass(frozen=True)
class Summary:
    rules: int
    fired: list[Firing]
    new: int
    delivered: int
    pending: int
    errors: list[str]


def run_alerts(
    engine: sa.Engine,
    settings: AlertSettings,
    today: dt.date,
    now: dt.datetime,
    *,
    client: httpx.Client | None = None,
    sleep=None,  # type: ignore[no-untyped-def]
) -> Summary:
    """Load and validate the rules (an invalid file raises before anything changes), record
    today's firings once, then deliver the pending alerts, oldest first, until one fails."""
    rules = load_rules(settings.rules_file)
    fired = evaluate(rules, store.read_inputs(engine, rules, today), today) if rules else []
    new = store.record(engine, fired, now)
    delivered, errors = 0, []
    waiting = store.pending(engine)
    if settings.webhook_url and waiting:
        own = client is None
        http = client or httpx.Client()
        try:
            for alert in waiting:
                kwargs = {"sleep": sleep} if sleep is not None else {}
                outcome = deliver.post(
                    http,
                    settings.webhook_url,
                    deliver.payload(alert),
                    attempts=settings.attempts,
                    backoff=settings.backoff_seconds,
                    **kwargs,
                )
                store.mark(
                    engine,
                    alert["dedupe_key"],
                    delivered_at=now if outcome.delivered else None,
                    error=outcome.error,
                    attempts=outcome.attempts,
                )
                if not outcome.delivered:
                    # the receiver is failing: the rest wait for the next evaluation
                    errors.append(f"{alert['dedupe_key']}: {outcome.error}")
                    break
                delivered += 1
        finally:
            if own:
                http.close()
    return Summary(len(rules), fired, new, delivered, len(waiting) - delivered, errors)
