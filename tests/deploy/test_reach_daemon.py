"""Market reach, unattended, through a real daemon: seeds of one shop and two videos in
`tracked.yaml`, every sensor running by default, and nothing done by hand; the daemon's
sensors track the videos' creators, the products they sell, those products' profiles and
then the shops the profiles name, until every shop the seeded creators sell is tracked and
profiled."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from dagster import DagsterInstance, DagsterRunStatus
from dagster._core.instance.ref import InstanceRef

from tests.conftest import sim_config
from tests.deploy.conftest import PostgresDatabases
from tests.deploy.deployment import dagster_home, project_env, running_deployment
from tests.simserver import RunningSim

REACH_TIMEOUT_SECONDS = 240
"""The loop is four waves of runs, each launched by the daemon in processes of its own (seeds,
the videos' creators, the products they sell, the shops those name): this one test has 300 s
instead of the suite's 120 s, and a slow loop fails with its own message before that."""
SMALL_WORLD = {"shops": 10, "products_per_shop": (2, 4), "creators": 4, "videos": 8}


@pytest.fixture
def small_world(sim: RunningSim) -> Iterator[RunningSim]:
    """A market of 10 shops of 2 to 4 products, 4 creators selling across them."""
    sim.configure(**SMALL_WORLD)
    yield sim
    default = sim_config()
    sim.configure(**{name: getattr(default, name) for name in SMALL_WORLD})


def _profiled(warehouse_url: str) -> set[str]:
    engine = sa.create_engine(warehouse_url, poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as conn:
            return set(conn.execute(sa.text("SELECT DISTINCT id FROM shop_detail")).scalars())
    except sa.exc.ProgrammingError:  # no table yet
        return set()
    finally:
        engine.dispose()


@pytest.mark.e2e
@pytest.mark.postgres
@pytest.mark.timeout(300)
def test_the_daemon_reaches_every_shop_the_seeded_creators_sell(
    small_world: RunningSim,
    postgres_databases: PostgresDatabases,
    tmp_path: Path,
    today: dt.date,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    world = small_world.world
    shop, videos = world.shop_ids()[0], world.video_ids()[:2]
    creators = {world.video(v).creator_id for v in videos}
    products = {p for c in creators for p in world.products_of_creator(c, today)}
    reachable = {shop} | {world.product(p).shop_id for p in products}
    assert len(reachable) > 2
    seeds = tmp_path / "tracked.yaml"
    seeds.write_text(
        f'shops: ["{shop}"]\nvideos: [{", ".join(f"{v!r}" for v in videos)}]\n'.replace("'", '"')
    )

    home = dagster_home(tmp_path / "dagster_home")
    instance_env = postgres_databases.instance_env()
    for name, value in {**instance_env, "DAGSTER_HOME": str(home)}.items():
        monkeypatch.setenv(name, value)
    env = project_env(
        home,
        instance_env,
        sim_url=small_world.url,
        warehouse_url=postgres_databases.warehouse_url,
        TIKTOK_TRACKED_FILE=str(seeds),
        TIKTOK_AUTOMATION_DEFAULT_STATUS="running",
        TIKTOK_DISCOVERY_INTERVAL_SECONDS="2",
    )
    instance = DagsterInstance.from_ref(InstanceRef.from_dir(str(home)))
    try:
        with running_deployment(env, tmp_path / "logs") as deployment:
            deployment.start_daemon()
            deadline = time.monotonic() + REACH_TIMEOUT_SECONDS
            while _profiled(postgres_databases.warehouse_url) != reachable:
                deployment.check_alive()
                if time.monotonic() > deadline:
                    tracked = set(instance.get_dynamic_partitions("shop_ids"))
                    raise AssertionError(
                        f"after {REACH_TIMEOUT_SECONDS} s: {len(tracked)} shop(s) tracked, "
                        f"{len(_profiled(postgres_databases.warehouse_url))} profiled, of "
                        f"{len(reachable)} reachable\n{deployment.output()}"
                    )
                time.sleep(1)
            tracked_shops = set(instance.get_dynamic_partitions("shop_ids"))
            failed = [r for r in instance.get_runs() if r.status == DagsterRunStatus.FAILURE]
    finally:
        instance.dispose()
    assert tracked_shops == reachable  # every one, and nothing the data did not lead to
    assert not failed, [r.job_name for r in failed]
