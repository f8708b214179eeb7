"""Fixtures shared by the test layers: a fixed simulated day, the simulator over HTTP,
a temporary warehouse (SQLite, or PostgreSQL when TIKTOK_TEST_POSTGRES_URL is set)."""

from __future__ import annotations

import datetime as dt
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.simserver import RunningSim, start_sim
from tiktok_assets.sim import SimConfig
from tiktok_assets.warehouse.engine import dispose_all

TODAY = dt.date(2026, 11, 24)
"""The one day every test runs on. It is pinned for the whole session below, in the process
environment itself, not with `monkeypatch`: a test that sets another day with `monkeypatch` and
calls `monkeypatch.undo()` gets this pin back, never the machine's real date."""
os.environ["TIKTOK_TODAY"] = TODAY.isoformat()
KEY = "demo-key"
SECRET_KEY = "sk-live-TESTKEY-7f3a9c1e5b"
"""A distinctive key the leak tests grep for."""


DATE_SENSITIVE = ("api", "assets", "economy", "faults", "tracking", "e2e", "refresh")
"""Test folders whose tests involve "today" (snapshots, the journal, the credit month): the
date-shift check (scripts/date-shift) runs them again with the machine's clock moved."""


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    root = Path(__file__).parent
    for item in items:
        folder = item.path.relative_to(root).parts[0]
        # The browser test is left out: Chromium under libfaketime is not the point.
        if folder in DATE_SENSITIVE and item.get_closest_marker("browser") is None:
            item.add_marker(pytest.mark.date_sensitive)


def sim_config(**changes: object) -> SimConfig:
    """The tests' world: small, fixed today, no rate limit unless asked."""
    config = SimConfig(
        today=TODAY,
        rate_limit_per_minute=0,
        api_keys={KEY: None, SECRET_KEY: None, "no-videos-key": ["shops", "products", "creators"]},
    )
    config.update(**changes)
    return config


@pytest.fixture(scope="session")
def sim_server() -> Iterator[RunningSim]:
    """One simulator over HTTP for the session; `sim` resets it for each test."""
    running = start_sim(sim_config())
    yield running
    running.stop()


@pytest.fixture
def sim(sim_server: RunningSim) -> RunningSim:
    """The session's simulator, reset to the tests' defaults."""
    sim_server.reset(**dataclass_defaults())
    return sim_server


def dataclass_defaults() -> dict[str, object]:
    fresh = sim_config()
    return {
        "today": fresh.today,
        "rate_limit_per_minute": 0,
        "monthly_credit_limit": fresh.monthly_credit_limit,
        "retry_after": False,
        "latency_ms": 0,
        "error_rate": 0.0,
        "non_json_rate": 0.0,
        "hang_rate": 0.0,
        "hang_seconds": fresh.hang_seconds,
        "max_page_limit": fresh.max_page_limit,
        "extra_fields": False,
        "drop_optional_fields": False,
        "api_keys": fresh.api_keys,
        "market": fresh.market,
        "list_lag_days": fresh.list_lag_days,
    }


@pytest.fixture
def today() -> dt.date:
    """The project's pinned today, which is also the simulator's (see `TODAY`)."""
    assert os.environ.get("TIKTOK_TODAY") == TODAY.isoformat(), "a test removed the date pin"
    return TODAY


@pytest.fixture(autouse=True)
def _date_pin_survives() -> Iterator[None]:
    """Fails the test that leaves the session's date pin changed or removed behind it."""
    yield
    assert os.environ.get("TIKTOK_TODAY") == TODAY.isoformat(), (
        "this test left TIKTOK_TODAY changed: set other days with monkeypatch only"
    )
    os.environ["TIKTOK_TODAY"] = TODAY.isoformat()


POSTGRES_URL = os.environ.get("TIKTOK_TEST_POSTGRES_URL")
REQUIRE_POSTGRES = os.environ.get("TIKTOK_TEST_REQUIRE_POSTGRES", "") not in ("", "0")
"""Set by `.ci/run`: the PostgreSQL variants then fail, never skip, without a server."""


def require_postgres() -> None:
    """Skip a PostgreSQL test without a server, or fail it when CI requires one."""
    if POSTGRES_URL:
        return
    if REQUIRE_POSTGRES:
        pytest.fail(
            "TIKTOK_TEST_REQUIRE_POSTGRES is set (CI) but TIKTOK_TEST_POSTGRES_URL is not: "
            "no PostgreSQL answered at 127.0.0.1:5432"
        )
    pytest.skip("TIKTOK_TEST_POSTGRES_URL is not set (no PostgreSQL for this run)")


@pytest.fixture(params=["sqlite", "postgresql"])
def warehouse_url(request: pytest.FixtureRequest, tmp_path) -> Iterator[str]:
    """A fresh, empty warehouse: a SQLite file, and a PostgreSQL schema when available."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'warehouse.sqlite'}"
        dispose_all()
        return
    require_postgres()
    schema = f"t_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(POSTGRES_URL)
    with admin.begin() as conn:
        conn.exec_driver_sql(f"CREATE SCHEMA {schema}")
    sep = "&" if "?" in POSTGRES_URL else "?"
    yield f"{POSTGRES_URL}{sep}options=-csearch_path%3D{schema}"
    dispose_all()
    with admin.begin() as conn:
        conn.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")
    admin.dispose()


@pytest.fixture(autouse=True)
def journal_spool_dir(tmp_path) -> Iterator[Path]:
    """Each test's own journal spool folder, so no test replays another's rows (set apart from
    `monkeypatch`, which tests may `undo()` in the middle)."""
    path = tmp_path / "journal-spool"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("TIKTOK_JOURNAL_SPOOL_DIR", str(path))
        yield path
