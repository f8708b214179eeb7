"""SimConfig: defaults, environment, validated updates."""

from __future__ import annotations

import datetime as dt

import pytest

from tiktok_assets.sim.config import WORLD_FIELDS, SimConfig, parse_api_keys


def test_defaults() -> None:
    config = SimConfig()
    assert config.seed == 7
    assert config.today is None
    assert config.products_per_shop == (8, 60)
    assert config.api_keys == {"demo-key": None}
    assert config.monthly_credit_limit == 20000
    assert config.rate_limit_per_minute == 60
    assert config.max_page_limit == 50
    assert config.market == "static"
    assert config.list_lag_days == 0
    assert "demo-key" not in repr(config)


def test_current_today_defaults_to_utc_date() -> None:
    assert SimConfig().current_today() == dt.datetime.now(dt.UTC).date()
    assert SimConfig(today=dt.date(2026, 1, 2)).current_today() == dt.date(2026, 1, 2)


def test_from_env() -> None:
    config = SimConfig.from_env(
        {
            "TIKTOK_SIM_SEED": "3",
            "TIKTOK_SIM_TODAY": "2026-11-24",
            "TIKTOK_SIM_SHOPS": "4",
            "TIKTOK_SIM_CREATORS": "5",
            "TIKTOK_SIM_VIDEOS": "6",
            "TIKTOK_SIM_RATE_LIMIT_PER_MINUTE": "0",
            "TIKTOK_SIM_MONTHLY_CREDIT_LIMIT": "100",
            "TIKTOK_SIM_LATENCY_MS": "2.5",
            "TIKTOK_SIM_ERROR_RATE": "0.1",
            "TIKTOK_SIM_RETRY_AFTER": "true",
            "TIKTOK_SIM_API_KEYS": "a, b:shops+videos",
            "TIKTOK_SIM_HANG_RATE": "",
            "TIKTOK_SIM_MARKET": "Living",
            "TIKTOK_SIM_LIST_LAG_DAYS": "2",
        }
    )
    assert (config.seed, config.shops, config.creators, config.videos) == (3, 4, 5, 6)
    assert config.today == dt.date(2026, 11, 24)
    assert config.rate_limit_per_minute == 0
    assert config.monthly_credit_limit == 100
    assert config.latency_ms == 2.5
    assert config.error_rate == 0.1
    assert config.retry_after is True
    assert config.api_keys == {"a": None, "b": ["shops", "videos"]}
    assert config.hang_rate == 0.0
    assert config.market == "living"
    assert config.list_lag_days == 2


def test_update_coerces_and_reports_changes() -> None:
    config = SimConfig()
    changed = config.update(
        today="2026-11-25", products_per_shop=[2, 3], api_keys={"k": None}, seed=7
    )
    assert changed == {"today", "products_per_shop", "api_keys"}
    assert config.today == dt.date(2026, 11, 25)
    assert config.products_per_shop == (2, 3)
    assert config.update(today=None) == {"today"}
    assert config.today is None


@pytest.mark.parametrize(
    "changes",
    [
        {"nope": 1},
        {"seed": "x"},
        {"error_rate": 1.5},
        {"latency_ms": -1},
        {"today": "24/11/2026"},
        {"products_per_shop": [5, 2]},
        {"api_keys": {"k": ["gold"]}},
        {"retry_after": "maybe"},
        {"shops": 0},
        {"max_page_limit": 0},
        {"market": "frozen"},
        {"market": 1},
        {"list_lag_days": -1},
        {"list_lag_days": 366},
        {"list_lag_days": 1.5},
        {"list_lag_days": True},
        {"list_lag_days": 2, "market": "dynamic"},
    ],
)
def test_update_rejects_bad_changes_atomically(changes: dict[str, object]) -> None:
    config = SimConfig()
    before = SimConfig()
    with pytest.raises(ValueError):
        config.update(**changes)
    assert config == before


def test_parse_api_keys() -> None:
    assert parse_api_keys("k1,k2:videos+credits, ,") == {"k1": None, "k2": ["videos", "credits"]}


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"market": "frozen"}, "market"),
        ({"market": ["living"]}, "market"),
        ({"list_lag_days": -1}, "list_lag_days"),
        ({"list_lag_days": "x"}, "list_lag_days"),
        ({"list_lag_days": 400}, "list_lag_days"),
    ],
)
def test_bad_market_fields_are_named(changes: dict[str, object], field: str) -> None:
    with pytest.raises(ValueError, match=field):
        SimConfig().update(**changes)
    with pytest.raises(ValueError, match=field):
        SimConfig(**changes)  # type: ignore[arg-type]


def test_market_fields_update_and_show() -> None:
    config = SimConfig()
    assert config.update(market="living", list_lag_days="3") == {"market", "list_lag_days"}
    assert (config.market, config.list_lag_days) == ("living", 3)
    assert config.to_json()["market"] == "living"
    assert config.to_json()["list_lag_days"] == 3
    assert "market" in WORLD_FIELDS  # changing it rebuilds the world
    assert "list_lag_days" not in WORLD_FIELDS  # the built world just reads it
