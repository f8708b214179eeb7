"""What a user does from a shell: the real `dagster` CLI against the simulator over HTTP."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from dagster import AssetKey, DagsterInstance

from tests.conftest import KEY, TODAY
from tiktok_assets.warehouse import Warehouse

pytestmark = pytest.mark.e2e

BIN = Path(sys.executable).parent
ROOT = Path(__file__).resolve().parents[2]


def _env(dagster_home: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TIKTOK_")}
    env.update({"DAGSTER_HOME": str(dagster_home), "TIKTOK_TODAY": TODAY.isoformat()}, **extra)
    return env


@pytest.fixture
def dagster_home(tmp_path: Path) -> Path:
    home = tmp_path / "dagster_home"
    home.mkdir()
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    return home


def test_definitions_validate(dagster_home: Path) -> None:
    done = subprocess.run(
        [BIN / "dagster", "definitions", "validate", "-m", "tiktok_assets.definitions"],
        cwd=ROOT,
        env=_env(dagster_home),
        capture_output=True,
        text=True,
        timeout=100,  # inside the suite's 120 s per test
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Validation successful" in done.stdout + done.stderr


def test_materialize_a_partition_from_the_cli(sim, dagster_home: Path, tmp_path: Path) -> None:
    shop = sim.world.shop_ids()[0]
    with DagsterInstance.from_config(str(dagster_home)) as instance:
        instance.add_dynamic_partitions("shop_ids", [shop])
    warehouse_url = f"sqlite:///{tmp_path / 'warehouse.sqlite'}"
    env = _env(
        dagster_home,
        WH_API_KEY=KEY,
        TIKTOK_API_ORIGIN=sim.url,
        TIKTOK_WAREHOUSE_URL=warehouse_url,
    )
    command = [
        BIN / "dagster",
        "asset",
        "materialize",
        "-m",
        "tiktok_assets.definitions",
        "--select",
        "shop_total",
        "--partition",
        f"{shop}|30",
    ]
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=100)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert KEY not in done.stdout + done.stderr

    stored = Warehouse(url=warehouse_url).read_table("shop_total")
    expected = sim.world.shop_total(shop, 30, TODAY)
    assert len(stored) == 1
    row = stored.iloc[0]
    assert (row["id"], row["period"], str(row["snapshot_date"])) == (shop, 30, TODAY.isoformat())
    assert (row["revenue"], row["sales"], row["avg_price"]) == (
        expected["revenue"],
        expected["sales"],
        expected["avg_price"],
    )
    assert sim.ledger()["credits_used"] == 1
    with DagsterInstance.from_config(str(dagster_home)) as instance:
        latest = instance.get_latest_materialization_event(AssetKey("shop_total"))
        assert latest is not None and latest.dagster_event.partition == f"{shop}|30"


def test_materialize_a_partition_range_from_the_cli(sim, dagster_home: Path, tmp_path) -> None:
    products = sim.world.product_ids()[:5]
    with DagsterInstance.from_config(str(dagster_home)) as instance:
        instance.add_dynamic_partitions("product_ids", products)
    warehouse_url = f"sqlite:///{tmp_path / 'warehouse.sqlite'}"
    env = _env(
        dagster_home,
        WH_API_KEY=KEY,
        TIKTOK_API_ORIGIN=sim.url,
        TIKTOK_WAREHOUSE_URL=warehouse_url,
        TIKTOK_WRITE_BATCH_PARTITIONS="7",  # several write batches inside the one run
    )
    command = [
        BIN / "dagster",
        "asset",
        "materialize",
        "-m",
        "tiktok_assets.definitions",
        "--select",
        "product_total",
        "--partition-range",
        f"{products[0]}|1...{products[-1]}|90",
    ]
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=100)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    stored = Warehouse(url=warehouse_url).read_table("product_total")
    assert len(stored) == 20
    for row in stored.itertuples():
        assert row.revenue == sim.world.product_total(row.id, row.period, TODAY)["revenue"]
    with DagsterInstance.from_config(str(dagster_home)) as instance:
        runs = instance.get_runs()
        assert len(runs) == 1
        records = instance.fetch_materializations(AssetKey("product_total"), limit=100).records
        assert len(records) == 20
