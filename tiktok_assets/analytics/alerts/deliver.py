"""POST pending alerts to a webhook (Slack-compatible JSON with `text`), with retries.

Each alert is tried `attempts` times with exponential backoff (`backoff × 2^n` seconds);
5xx, 429, timeouts and connection errors are retried, other 4xx stop at once. An alert not
delivered stays pending (`delivered_at` null) and is tried again at the next evaluation: it
is never lost. The webhook URL is a secret (Slack's carry a token): it is never logged or
stored, and error texts name the status or the error type only.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from typing import Any

import httpx

TIMEOUT_SECONDS = 10.0


@dataclasses.dataclass(frozen=True)
class Outcome:
    delivered: bool
    attempts: int
    error: str | None


def payload(alert: dict[str, Any]) -> dict[str, Any]:
    """The JSON body: Slack's `text`, plus the alert's fields for other receivers."""
    return {
        "text": alert["text"],
        "rule": alert["rule"],
        "kind": alert["kind"],
        "entity_id": alert["entity_id"],
        "fired_on": alert["fired_on"].isoformat(),
        "dedupe_key": alert["dedupe_key"],
        "details": alert["details"],
    }


def post(
    client: httpx.Client,
    url: str,
    body: dict[str, Any],
    *,
    attempts: int,
    backoff: float,
    sleep: Callable[[float], None] = time.sleep,
) -> Outcome:
    """POST `body` to `url`, retrying transient failures."""
    error = None
    for attempt in range(1, attempts + 1):
        try:
            response = client.post(url, json=body, timeout=TIMEOUT_SECONDS)
        except httpx.HTTPError as exc:
            error = f"{type(exc).__name__}"
        else:
            if response.is_success:
                return Outcome(True, attempt, None)
            error = f"HTTP {response.status_code}"
            if response.status_code < 500 and response.status_code != 429:
                return Outcome(False, attempt, error)
        if attempt < attempts:
            sleep(backoff * 2 ** (attempt - 1))
    return Outcome(False, attempts, error)
