"""The real `tiktok-assets refresh` in a subprocess: a dry run against the simulator over
HTTP, a real run, and a bad policy refused before anything runs."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa
from dagster import DagsterInstance

from tests.conftest import KEY
from tests.simserver import RunningSim
from tiktok_assets.warehouse import Warehouse

pytestmark = pytest.mark.e2e

CLI = Path(sys.executable).parent / "tiktok-assets"
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def dagster_home(tmp_path: Path) -> Path:
    home = tmp_path / "dagster_home"
    home.mkdir()
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    return home


def run_cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(CLI), "refresh", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=100
    )


def environment(dagster_home: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TIKTOK_")}
    env.update(
        {"DAGSTER_HOME": str(dagster_home), "TIKTOK_TODAY": os.environ["TIKTOK_TODAY"]}, **extra
    )
    return env


def paid(url: str) -> int:
    with Warehouse(url=url).engine.connect() as conn:
        query = "SELECT COALESCE(SUM(credits), 0) FROM api_calls"
        return int(conn.execute(sa.text(query)).scalar_one())


def test_the_command_plans_then_runs_the_day(
    living: RunningSim, dagster_home: Path, tmp_path: Path, today: dt.date
) -> None:
    shop = next(s for s in living.world.shop_ids() if living.world.products_of_shop(s, today))
    product = living.world.products_of_shop(shop, today)[0]
    with DagsterInstance.from_config(str(dagster_home)) as instance:
        instance.add_dynamic_partitions("shop_ids", [shop])
        instance.add_dynamic_partitions("product_ids", [product])
    url = f"sqlite:///{tmp_path / 'warehouse.sqlite'}"
    env = environment(
        dagster_home,
        WH_API_KEY=KEY,
        TIKTOK_API_ORIGIN=living.url,
        TIKTOK_WAREHOUSE_URL=url,
        TIKTOK_API_RATE_PER_MINUTE="100000",
    )

    dry = run_cli("--dry-run", env=env)
    assert dry.returncode == 0, dry.stdout[-3000:] + dry.stderr[-3000:]
    assert f"refresh plan of {today}" in dry.stdout and "would run" in dry.stdout
    assert paid(url) == 0 and living.ledger()["credits_used"] == 0
    assert KEY not in dry.stdout + dry.stderr

    done = run_cli(env=env)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "0 failed" in done.stdout and "partitions by source" in done.stdout
    assert paid(url) > 0 and living.ledger()["credits_used"] == paid(url)
    assert KEY not in done.stdout + done.stderr


def test_an_unknown_policy_exits_2_naming_the_variable(dagster_home: Path) -> None:
    env = environment(dagster_home, TIKTOK_REFRESH_POLICY="greedy")
    for args in ((), ("--dry-run",)):
        done = run_cli(*args, env=env)
        assert done.returncode == 2, done.stdout[-2000:] + done.stderr[-2000:]
        assert "TIKTOK_REFRESH_POLICY" in done.stderr and "greedy" in done.stderr
    assert not (dagster_home / "history").exists()  # nothing ran on the instance


def test_a_run_that_fails_says_why_and_the_command_exits_1(
    living: RunningSim, dagster_home: Path, tmp_path: Path, today: dt.date
) -> None:
    shop = living.world.shop_ids()[0]
    with DagsterInstance.from_config(str(dagster_home)) as instance:
        instance.add_dynamic_partitions("shop_ids", [shop])
    wrong = "not-the-key-0123456789"
    env = environment(
        dagster_home,
        WH_API_KEY=wrong,
        TIKTOK_API_ORIGIN=living.url,
        TIKTOK_WAREHOUSE_URL=f"sqlite:///{tmp_path / 'warehouse.sqlite'}",
        TIKTOK_API_RATE_PER_MINUTE="0",
    )
    done = run_cli(env=env)
    assert done.returncode == 1, done.stdout[-3000:] + done.stderr[-3000:]
    failed = [line for line in done.stdout.splitlines() if line.startswith("FAILED ")]
    assert failed and all("HTTP 401" in line and "WH_API_KEY" in line for line in failed)
    assert wrong not in done.stdout + done.stderr
