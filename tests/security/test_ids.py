"""Ids that are not the vendor's numeric ids never reach a URL, a request body or the journal:
they are refused before any request through the client, the assets and `tiktok-assets track`."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from dagster import DagsterInstance

from tests.assets.support import resources, run
from tests.conftest import KEY
from tests.faults.support import failure_message
from tests.simserver import RunningSim
from tiktok_assets.api import ENDPOINTS, InvalidId, validate_id
from tiktok_assets.api.client import AsyncTikTokShopClient, ClientSettings, TikTokShopClient
from tiktok_assets.assets import product_total, shop_detail
from tiktok_assets.economy import open_economy
from tiktok_assets.warehouse import Warehouse

BAD_IDS = {
    "dot-dot-slash": "../1",
    "traversal": "1/../2",
    "slash": "12/34",
    "encoded-slash": "%2F",
    "encoded-in-digits": "12%2F34",
    "space": "1 2",
    "leading-space": " 123",
    "trailing-newline": "123\n",
    "40-digits": "1" * 40,
    "21-digits": "1" * 21,
    "empty": "",
    "letters": "abc",
    "hex": "0x1f",
    "a-letter-inside": "12a4",
    "negative": "-1",
    "fullwidth-digits": "１２３",
    "query": "1?period=1",
    "fragment": "1#x",
    "quote": "1' OR '1'='1",
    "nul": "1\x002",
}
ID_ENDPOINTS = [e for e in ENDPOINTS.values() if e.takes_id]


def _nothing_reached(sim: RunningSim) -> None:
    assert sim.state.ledger.to_json() == {"keys": {}, "unauthorized": 0}


def _params(endpoint: Any) -> dict[str, Any]:
    return {"period": endpoint.periods[0]} if endpoint.periods else {}


@pytest.mark.parametrize(
    "bad", [*BAD_IDS.values(), None, 123, 1.5], ids=[*BAD_IDS, "none", "int", "float"]
)
def test_the_client_refuses_bad_ids_before_any_request(bad, sim, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'warehouse.sqlite'}"
    engine = Warehouse(url=url).engine
    hooks = open_economy(
        engine,
        bucket="ids",
        rate_per_minute=0,
        run_id=None,
        monthly_credit_limit=10,
        credit_reserve=0,
    )
    settings = ClientSettings(origin=sim.url, api_key=KEY, max_retries=0)
    with TikTokShopClient(settings, **hooks) as client:
        for endpoint in ID_ENDPOINTS:
            with pytest.raises(InvalidId) as refused:
                client.fetch(endpoint, id=bad, **_params(endpoint))
            assert refused.value.route == endpoint.route
            assert "invalid id" in str(refused.value) and "digits only" in str(refused.value)

    async def async_calls() -> None:
        async with AsyncTikTokShopClient(settings, **hooks) as client:
            for endpoint in ID_ENDPOINTS:
                with pytest.raises(InvalidId):
                    await client.fetch(endpoint, id=bad, **_params(endpoint))

    asyncio.run(async_calls())
    _nothing_reached(sim)
    assert Warehouse(url=url).read_table("api_calls").empty


def test_good_ids_pass_validation() -> None:
    for good in ("0", "7493920192384910", "1" * 20):
        assert validate_id(good) == good


@pytest.mark.parametrize(
    "bad", ["../1", "%2F", "1 2", "1" * 40, "abc", "1' OR '1'='1"], ids=lambda v: repr(v)
)
def test_an_asset_partition_with_a_bad_id_fails_before_any_request(
    bad, sim, today, tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'warehouse.sqlite'}"
    with DagsterInstance.ephemeral() as instance:
        instance.add_dynamic_partitions("shop_ids", [bad])  # Dagster itself accepts them
        result = run([shop_detail], instance, resources(sim, url), partition_key=bad)
    assert not result.success
    message = failure_message(result)
    assert f"POST /api/v1/tiktok-shop/shop-detail: invalid id {bad!r}" in message
    assert "Ids are the vendor's numeric ids (digits only, at most 20); check the tracked ids" in (
        message
    )
    _nothing_reached(sim)
    assert Warehouse(url=url).read_table("api_calls").empty


def test_a_period_partition_with_a_bad_id_fails_before_any_request(sim, today, tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'warehouse.sqlite'}"
    with DagsterInstance.ephemeral() as instance:
        instance.add_dynamic_partitions("product_ids", ["../../credits"])
        result = run(
            [product_total], instance, resources(sim, url), partition_key="../../credits|30"
        )
    assert not result.success
    assert "invalid id '../../credits'" in failure_message(result)
    _nothing_reached(sim)


def test_a_bad_id_among_good_ones_fails_only_its_partition(sim, today, tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'warehouse.sqlite'}"
    good = sim.world.shop_ids()[:2]
    with DagsterInstance.ephemeral() as instance:
        instance.add_dynamic_partitions("shop_ids", [good[0], "../1", good[1]])
        result = run([shop_detail], instance, resources(sim, url), key_range=(good[0], good[1]))
    assert not result.success
    message = failure_message(result)
    assert "shop_detail: 1 partition(s) failed" in message
    assert "  ../1: POST /api/v1/tiktok-shop/shop-detail: invalid id '../1'" in message
    assert sorted(
        str(m.partition) for m in result.asset_materializations_for_node("shop_detail")
    ) == sorted(good)
    assert sim.ledger(KEY)["credits_used"] == 2


@pytest.fixture
def dagster_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "dagster_home"
    home.mkdir()
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    monkeypatch.setenv("TIKTOK_TRACKED_FILE", str(tmp_path / "tracked.yaml"))
    return home


def test_track_refuses_bad_ids_and_adds_nothing(
    sim, dagster_home: Path, capsys: pytest.CaptureFixture
) -> None:
    from tiktok_assets.cli import main, track

    assert track.register  # the command is wired from this module
    good = sim.world.shop_ids()[0]
    for name, bad in BAD_IDS.items():
        for command in ("track", "untrack"):
            assert main([command, "shop", "--", good, bad]) == 2, name
            err = capsys.readouterr().err
            assert f"tiktok-assets {command}: 1 invalid id(s): shop " in err, name
            assert "nothing was added" in err
    assert main(["track", "video", "--", *BAD_IDS.values()]) == 2
    assert f"{len(BAD_IDS)} invalid id(s)" in capsys.readouterr().err
    with DagsterInstance.from_config(str(dagster_home)) as instance:
        for name in ("shop_ids", "video_ids"):
            assert list(instance.get_dynamic_partitions(name)) == []
    _nothing_reached(sim)
