"""Command-line flags and the real server (uvicorn in a subprocess)."""

from __future__ import annotations

import argparse
import datetime as dt
import os
import re
import subprocess
import sys
import time

import httpx
import pytest

from tiktok_assets.sim.flags import add_sim_arguments, config_from_args


def _parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    add_sim_arguments(parser)
    return parser.parse_args(list(argv))


def test_flags_override_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TIKTOK_SIM_SEED", "11")
    monkeypatch.setenv("TIKTOK_SIM_CREATORS", "9")
    args = _parse(
        "--port", "9000", "--seed", "3", "--today", "2026-11-24", "--rate-limit", "0",
        "--credit-limit", "50", "--latency-ms", "5", "--error-rate", "0.2", "--retry-after",
        "--api-key", "a", "--api-key", "b:videos+credits",
    )  # fmt: skip
    assert (args.host, args.port) == ("127.0.0.1", 9000)
    config = config_from_args(args)
    assert config.seed == 3
    assert config.creators == 9  # from env
    assert config.today == dt.date(2026, 11, 24)
    assert config.rate_limit_per_minute == 0
    assert config.monthly_credit_limit == 50
    assert config.latency_ms == 5.0
    assert config.error_rate == 0.2
    assert config.retry_after is True
    assert config.api_keys == {"a": None, "b": ["videos", "credits"]}


def test_defaults_without_flags(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith("TIKTOK_SIM_"):
            monkeypatch.delenv(name)
    config = config_from_args(_parse())
    assert config.seed == 7
    assert config.api_keys == {"demo-key": None}
    assert config.retry_after is False
    assert (config.market, config.list_lag_days) == ("static", 0)


def test_bad_value_is_value_error() -> None:
    with pytest.raises(ValueError):
        config_from_args(_parse("--error-rate", "3"))
    with pytest.raises(ValueError, match="list_lag_days"):
        config_from_args(_parse("--list-lag", "-1"))


def test_market_and_list_lag_flags(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TIKTOK_SIM_LIST_LAG_DAYS", "5")
    monkeypatch.delenv("TIKTOK_SIM_MARKET", raising=False)
    config = config_from_args(_parse("--market", "living", "--list-lag", "2"))
    assert (config.market, config.list_lag_days) == ("living", 2)
    from_env = config_from_args(_parse())
    assert (from_env.market, from_env.list_lag_days) == ("static", 5)
    with pytest.raises(SystemExit):
        _parse("--market", "frozen")
    with pytest.raises(SystemExit):
        _parse("--list-lag", "two")


@pytest.mark.e2e
def test_module_serves_over_http() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TIKTOK_SIM_")}
    process = subprocess.Popen(
        [sys.executable, "-m", "tiktok_assets.sim", "--port", "0", "--today", "2026-11-24",
         "--api-key", "secret-key-123"],
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )  # fmt: skip
    try:
        assert process.stderr is not None
        line = process.stderr.readline()
        assert "secret-key-123" not in line
        match = re.search(r"listening on (http://127\.0\.0\.1:\d+)", line)
        assert match, line
        base = match.group(1)
        deadline = time.monotonic() + 10
        with httpx.Client(base_url=base, timeout=5) as client:
            while True:
                try:
                    assert client.get("/_sim/health").json()["today"] == "2026-11-24"
                    break
                except httpx.TransportError:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.05)
            shop = client.get("/_sim/world").json()["shops"][0]
            response = client.post(
                "/api/v1/tiktok-shop/shop-detail",
                json={"id": shop},
                headers={"X-API-Key": "secret-key-123"},
            )
            assert response.status_code == 200
            assert response.json()["data"]["id"] == shop
    finally:
        process.terminate()
        process.wait(timeout=10)
        if process.stderr is not None:
            process.stderr.close()
