"""The server failing: 500s (retried, then failing their partitions), bodies that are not JSON,
and a server that hangs past the client's timeout. Each run is checked for what it reports,
what the warehouse and the journal hold, and that a re-run converges to a clean run's data
without paying twice for an answer."""

from __future__ import annotations

import json
import time

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
from tiktok_assets.assets import product_total, shop_products, video_metrics


def test_one_answer_in_ten_is_a_500_and_the_backfill_still_completes(
    sim, today, warehouse_url, reference_url, instance
) -> None:
    products = sim.world.product_ids()[:6]
    instance.add_dynamic_partitions("product_ids", products)
    key_range = (f"{products[0]}|1", f"{products[-1]}|90")  # 24 partitions
    reference = clean_run(sim, instance, reference_url, [product_total], key_range=key_range)
    assert reference.credits == 24

    sim.configure(error_rate=0.1)
    res = resources(sim, warehouse_url, max_concurrency=1, **FAST)  # one at a time: seeded faults
    result = run([product_total], instance, res, key_range=key_range)

    assert result.success, failure_message(result)
    assert len(materialized(result, "product_total")) == 24
    ledger = sim.ledger(KEY)
    errors = ledger["responses"].get("500", 0)
    assert errors >= 1 and ledger["responses"]["200"] == 24
    calls = journal(warehouse_url)
    failed = calls[calls["status"] == 500]
    assert len(failed) == errors and (failed["credits"] == 0).all()
    assert failed["body"].isna().all() and failed["error"].str.contains("HTTP 500").all()
    # every 500 was retried: its request has a later successful attempt
    answered = paid(calls)
    assert set(failed["params"]) <= set(answered["params"])
    assert (answered["attempt"] > 1).sum() >= 1
    assert ledger["credits_used"] == len(answered) == reference.credits
    assert_same_data(warehouse_url, reference)

    sim.configure(error_rate=0.0)
    again = run([product_total], instance, res, key_range=key_range)
    assert again.success and cache_hits(again, warehouse_url) == 24
    assert sim.ledger(KEY)["credits_used"] == reference.credits
    assert_same_data(warehouse_url, reference)
    assert_no_answer_paid_twice(warehouse_url)


def test_500s_past_the_retries_fail_their_lists_and_the_rerun_pays_only_missing_pages(
    sim, today, warehouse_url, reference_url, instance
) -> None:
    shops = sim.world.shop_ids()[:3]
    instance.add_dynamic_partitions("shop_ids", shops)
    key_range = (f"{shops[0]}|1", f"{shops[-1]}|90")  # 12 lists of 2 to 12 pages of 5
    reference = clean_run(
        sim, instance, reference_url, [shop_products], key_range=key_range, page_size=5
    )

    sim.configure(error_rate=0.3)
    res = resources(sim, warehouse_url, page_size=5, max_retries=1, max_concurrency=1, **FAST)
    result = run([shop_products], instance, res, key_range=key_range)

    assert not result.success
    message = failure_message(result)
    written = materialized(result, "shop_products")
    every = sorted(f"{s}|{p}" for s in shops for p in (1, 7, 30, 90))
    failed = sorted(set(every) - set(written))
    assert written and failed
    assert f"shop_products: {len(failed)} partition(s) failed" in message
    assert f"{len(written)} partition(s) were written and materialized" in message
    for key in failed:
        shop = key.split("|")[0]
        assert f"  {key}: POST /api/v1/tiktok-shop/shop-detail/product/queryList (id={shop})" in (
            message
        )
    assert "HTTP 500" in message and "gave up after 2 attempts" in message
    assert "re-run later (what was fetched is kept and not paid again)" in message

    # Only whole lists are stored: each written list has all its ranks, no failed list has any.
    def ranks(table: list[dict]) -> dict[str, list[int]]:
        lists: dict[str, list[int]] = {}
        for row in table:
            lists.setdefault(f"{row['shop_id']}|{row['period']}", []).append(row["rank"])
        return lists

    stored, clean = (
        ranks(rows(warehouse_url, "shop_products")),
        ranks(reference.tables["shop_products"]),
    )
    assert sorted(stored) == written and sorted(clean) == every
    for key, got in stored.items():
        assert sorted(got) == sorted(clean[key]) == list(range(1, len(clean[key]) + 1)), key

    first = paid(journal(warehouse_url))
    first_pages = len(first)
    periods = first["params"].map(lambda p: json.loads(p)["period"])
    fetched_lists = set(first["entity_id"] + "|" + periods.astype(str))
    assert set(failed) & fetched_lists, "no list failed after some of its pages were paid"
    assert sim.ledger(KEY)["credits_used"] == first_pages  # a 500 costs nothing
    sim.configure(error_rate=0.0)
    again = run([shop_products], instance, res, key_range=key_range)
    assert again.success, failure_message(again)
    assert cache_hits(again, warehouse_url) == first_pages
    # Pages fetched before a list failed were not paid again: the total is a clean run's.
    assert sim.ledger(KEY)["credits_used"] == reference.credits
    assert_same_data(warehouse_url, reference)
    assert_no_answer_paid_twice(warehouse_url)


def test_a_body_that_is_not_json_fails_its_partition_and_is_paid_once_on_rerun(
    sim, today, warehouse_url, reference_url, instance
) -> None:
    videos = sim.world.video_ids()[:3]
    instance.add_dynamic_partitions("video_ids", videos)
    key_range = (f"{videos[0]}|1", f"{videos[-1]}|30")  # 9 partitions
    reference = clean_run(sim, instance, reference_url, [video_metrics], key_range=key_range)

    sim.configure(non_json_rate=0.25)
    res = resources(sim, warehouse_url, max_concurrency=1, **FAST)
    result = run([video_metrics], instance, res, key_range=key_range)

    assert not result.success
    message = failure_message(result)
    calls = journal(warehouse_url)
    html = calls[calls["error"].str.contains("not a JSON object", na=False)]
    assert 1 <= len(html) < 9
    assert len(materialized(result, "video_metrics")) == 9 - len(html)
    assert f"video_metrics: {len(html)} partition(s) failed" in message
    for entity_id in html["entity_id"]:
        assert f"GET /api/v2/videos/{{id}}/metrics (id={entity_id}): answer is not a JSON" in (
            message
        )
    assert "content-type 'text/html; charset=utf-8'" in message
    assert "re-run later or report it" in message
    # Not retried (one attempt each), nothing stored from them, never served from the journal.
    assert (html["attempt"] == 1).all() and html["body"].isna().all()
    assert (html["status"] == 200).all()
    # The journal counts a 2xx as paid even when its body is unreadable; the simulator does not
    # charge for its HTML page, so local spend runs ahead of the vendor's by those answers.
    assert (html["credits"] == 1).all()
    assert sim.ledger(KEY)["credits_used"] == 9 - len(html)

    sim.configure(non_json_rate=0.0)
    again = run([video_metrics], instance, res, key_range=key_range)
    assert again.success, failure_message(again)
    assert cache_hits(again, warehouse_url) == 9 - len(html)
    assert sim.ledger(KEY)["credits_used"] == reference.credits
    assert int(journal(warehouse_url)["credits"].sum()) == reference.credits + len(html)
    assert_same_data(warehouse_url, reference)
    assert_no_answer_paid_twice(warehouse_url)


HANG_SECONDS = 1.0
TIMEOUT_SECONDS = 0.3


def test_a_server_that_hangs_past_the_timeout(
    sim, today, warehouse_url, reference_url, instance
) -> None:
    videos = sim.world.video_ids()[:2]
    instance.add_dynamic_partitions("video_ids", videos)
    key_range = (f"{videos[0]}|1", f"{videos[-1]}|30")  # 6 partitions
    reference = clean_run(sim, instance, reference_url, [video_metrics], key_range=key_range)

    # Every answer hangs: the first video's three partitions time out twice each and fail.
    sim.configure(hang_rate=1.0, hang_seconds=HANG_SECONDS)
    res = resources(
        sim, warehouse_url, timeout_seconds=TIMEOUT_SECONDS, max_retries=1, max_concurrency=3
    )
    started = time.monotonic()
    stuck = run([video_metrics], instance, res, key_range=(f"{videos[0]}|1", f"{videos[0]}|30"))
    assert time.monotonic() - started < 2 * HANG_SECONDS + 5  # bounded by the timeout
    assert not stuck.success
    message = failure_message(stuck)
    assert "video_metrics: 3 partition(s) failed" in message
    for period in (1, 7, 30):
        assert f"  {videos[0]}|{period}: GET /api/v2/videos/{{id}}/metrics (id={videos[0]})" in (
            message
        )
    assert f"timed out after {TIMEOUT_SECONDS:g}s (ReadTimeout) (gave up after 2 attempts)" in (
        message
    )
    assert "raise the timeout; then re-run" in message
    calls = journal(warehouse_url)
    assert len(calls) == 6 and calls["status"].isna().all() and (calls["credits"] == 0).all()
    assert rows(warehouse_url, "video_metrics") == []

    # One answer in three hangs: the retries get through, the run succeeds.
    sim.configure(hang_rate=0.3)
    res = resources(
        sim, warehouse_url, timeout_seconds=TIMEOUT_SECONDS, max_retries=4, max_concurrency=1
    )
    result = run([video_metrics], instance, res, key_range=key_range)
    assert result.success, failure_message(result)
    calls = journal(warehouse_url)
    timeouts = calls[calls["status"].isna()]
    assert len(timeouts) > 6  # the second run timed out too, and retried
    assert timeouts["error"].str.contains("timed out").all()
    time.sleep(HANG_SECONDS + 0.3)  # let the server finish the answers the client gave up on
    # The simulator charges for the answers it completed after the client had left (GET routes),
    # which the client never received: those are the only credits beyond a clean run's.
    assert sim.ledger(KEY)["credits_used"] == reference.credits + len(timeouts)
    assert len(paid(calls)) == reference.credits
    assert_same_data(warehouse_url, reference)

    sim.configure(hang_rate=0.0)
    again = run([video_metrics], instance, res, key_range=key_range)
    assert again.success and cache_hits(again, warehouse_url) == 6
    assert sim.ledger(KEY)["credits_used"] == reference.credits + len(timeouts)
    assert_same_data(warehouse_url, reference)
    assert_no_answer_paid_twice(warehouse_url)
