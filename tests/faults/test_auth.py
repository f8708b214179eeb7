"""Refusals by key: a 401 after the key was rotated, a 403 on the routes the key's plan lacks.
Both stop the run at once (every further request would be refused the same way)."""

from __future__ import annotations

import pytest

from tests.assets.support import resources, run
from tests.conftest import KEY
from tests.faults.support import (
    FAST,
    assert_no_answer_paid_twice,
    assert_same_data,
    cache_hits,
    clean_run,
    failure_message,
    journal,
    materialized,
    paid,
    rows,
)
from tiktok_assets.assets import (
    creator_total,
    product_total,
    shop_detail,
    shop_products,
    video_detail,
)

OLD_KEY, NEW_KEY = "key-before-rotation", "key-after-rotation"
NO_VIDEOS_KEY = "no-videos-key"


def test_a_rotated_key_stops_the_run_with_a_401_and_the_new_key_converges(
    sim, today, warehouse_url, reference_url, instance
) -> None:
    creators = sim.world.creator_ids()[:3]
    instance.add_dynamic_partitions("creator_ids", creators)
    key_range = (f"{creators[0]}|1", f"{creators[-1]}|90")  # 12 partitions
    reference = clean_run(sim, instance, reference_url, [creator_total], key_range=key_range)
    keys = dict(sim.config.api_keys)
    sim.configure(api_keys={**keys, OLD_KEY: None})

    old = resources(sim, warehouse_url, key=OLD_KEY, max_concurrency=1, **FAST)
    first = (f"{creators[0]}|1", f"{creators[0]}|90")
    assert run([creator_total], instance, old, key_range=first).success

    # The vendor rotates the key; the code location still runs with the old one.
    sim.configure(api_keys={**keys, NEW_KEY: None})
    result = run([creator_total], instance, old, key_range=key_range)

    assert not result.success
    message = failure_message(result)
    assert "creator_total: the run stopped at once" in message
    assert f"POST /api/v1/tiktok-shop/creator-detail/total (id={creators[1]}): HTTP 401" in message
    assert "server said: 'Unauthorized'" in message
    assert "Check WH_API_KEY (the key may have been rotated) and reload the code location" in (
        message
    )
    # The first creator's answers came from the journal (no request); the next one hit the 401.
    written = materialized(result, "creator_total")
    assert written == sorted(f"{creators[0]}|{p}" for p in (1, 7, 30, 90))
    assert cache_hits(result, warehouse_url) == 4
    assert "4 partition(s) were written and materialized; 7 were not attempted" in message
    assert sim.state.ledger.unauthorized == 1  # one request, then the run stopped
    assert sim.ledger(OLD_KEY)["credits_used"] == 4
    calls = journal(warehouse_url)
    refused = calls[calls["status"] == 401]
    assert len(refused) == 1 and refused.iloc[0]["credits"] == 0
    assert "rotated" in refused.iloc[0]["error"]
    assert {r["id"] for r in rows(warehouse_url, "creator_total")} == {creators[0]}

    new = resources(sim, warehouse_url, key=NEW_KEY, max_concurrency=1, **FAST)
    again = run([creator_total], instance, new, key_range=key_range)
    assert again.success, failure_message(again)
    assert cache_hits(again, warehouse_url) == 4
    assert sim.ledger(OLD_KEY)["credits_used"] + sim.ledger(NEW_KEY)["credits_used"] == 12
    assert reference.credits == 12
    assert_same_data(warehouse_url, reference)
    assert_no_answer_paid_twice(warehouse_url)


def test_a_plan_without_videos_gets_a_403_on_video_routes_only(
    sim, today, warehouse_url, reference_url, instance
) -> None:
    videos = sim.world.video_ids()[:3]
    shop = sim.world.shop_ids()[0]
    instance.add_dynamic_partitions("video_ids", videos)
    instance.add_dynamic_partitions("shop_ids", [shop])
    key_range = (videos[0], videos[-1])
    reference = clean_run(sim, instance, reference_url, [video_detail], key_range=key_range)

    limited = resources(sim, warehouse_url, key=NO_VIDEOS_KEY, max_concurrency=1, **FAST)
    assert run([shop_detail], instance, limited, partition_key=shop).success
    result = run([video_detail], instance, limited, key_range=key_range)

    assert not result.success
    message = failure_message(result)
    assert "video_detail: the run stopped at once" in message
    assert f"GET /api/v2/videos/{{id}} (id={videos[0]}): HTTP 403" in message
    assert "server said: 'Forbidden: your plan does not include videos'" in message
    assert "Your API plan does not include this route; upgrade the plan or deselect the asset" in (
        message
    )
    assert "0 partition(s) were written and materialized; 2 were not attempted" in message
    assert materialized(result, "video_detail") == []
    ledger = sim.ledger(NO_VIDEOS_KEY)
    assert ledger["responses"] == {"200": 1, "403": 1}  # the shop, then one video request
    assert ledger["credits_used"] == 1
    calls = journal(warehouse_url)
    forbidden = calls[calls["status"] == 403]
    assert len(forbidden) == 1 and forbidden.iloc[0]["credits"] == 0
    assert forbidden.iloc[0]["route"] == "GET /api/v2/videos/{id}"
    assert rows(warehouse_url, "video_detail") == []
    assert len(rows(warehouse_url, "shop_detail")) == 1

    full = resources(sim, warehouse_url, key=KEY, max_concurrency=1, **FAST)
    again = run([video_detail], instance, full, key_range=key_range)
    assert again.success, failure_message(again)
    assert sim.ledger(KEY)["credits_used"] == reference.credits == 3
    assert len(paid(journal(warehouse_url))) == 1 + 3
    assert_same_data(warehouse_url, reference)
    assert_no_answer_paid_twice(warehouse_url)


@pytest.mark.parametrize(
    "asset",
    [
        product_total,
        shop_products,
        creator_total,
    ],
    ids=lambda a: a.key.path[-1],
)
def test_a_run_where_no_partition_succeeds_reports_the_failure(
    asset, sim, today, warehouse_url, instance
) -> None:
    """A one-partition run refused with a 401 says so, as a run with some successes does."""
    name = asset.key.path[-1]
    entity = name.split("_")[0]
    entity_id = {"product": sim.world.product_ids, "shop": sim.world.shop_ids}.get(
        entity, sim.world.creator_ids
    )()[0]
    instance.add_dynamic_partitions(f"{entity}_ids", [entity_id])
    res = resources(sim, warehouse_url, key="a-key-the-api-never-issued", **FAST)
    result = run([asset], instance, res, partition_key=f"{entity_id}|30")
    assert not result.success
    message = failure_message(result)
    assert f"{name}: the run stopped at once" in message, message
    assert "HTTP 401" in message and "Check WH_API_KEY" in message
    assert "0 partition(s) were written and materialized; 0 were not attempted" in message
