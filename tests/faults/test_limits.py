"""The vendor's limits: the per-minute rate limit (429, with and without `Retry-After`, with the
project's own limiter off so the server's is what bites) and the monthly credit limit reached in
the middle of a paged list."""

from __future__ import annotations

import json
import time

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
from tests.simserver import RunningSim
from tiktok_assets.assets import creator_products, product_total

SIM_RATE = 4
"""Requests per minute the simulator allows in these tests."""


def _fill_rate_window_at_first_request(
    sim: RunningSim, key: str, frees_in: float, monkeypatch: pytest.MonkeyPatch
) -> None:
    """When the key's first request arrives, its rolling minute is found full of requests that
    leave it `frees_in` seconds later (so the server's `Retry-After` is a second or so)."""
    ledger = sim.state.ledger
    admit = ledger.admit

    def admit_into_a_full_window(account_key: str, per_minute: int) -> float | None:
        account = ledger.account(account_key)
        if account_key == key and not account.window and not account.rate_limited:
            sent_at = ledger.clock() - 60.0 + frees_in
            account.window.extend([sent_at] * per_minute)
        return admit(account_key, per_minute)

    monkeypatch.setattr(ledger, "admit", admit_into_a_full_window)


def test_429s_without_retry_after_give_up_after_the_retries_and_a_rerun_completes(
    sim, today, warehouse_url, reference_url, instance
) -> None:
    products = sim.world.product_ids()[:2]
    instance.add_dynamic_partitions("product_ids", products)
    key_range = (f"{products[0]}|1", f"{products[-1]}|90")  # 8 partitions
    reference = clean_run(sim, instance, reference_url, [product_total], key_range=key_range)

    sim.configure(rate_limit_per_minute=SIM_RATE, retry_after=False)
    # The project's limiter is off (rate 0), so only the server's limit paces the run.
    res = resources(sim, warehouse_url, rate_per_minute=0, max_retries=2, max_concurrency=1, **FAST)
    result = run([product_total], instance, res, key_range=key_range)

    assert not result.success
    written = materialized(result, "product_total")
    assert len(written) == SIM_RATE
    message = failure_message(result)
    assert "product_total: 4 partition(s) failed" in message
    assert "rate limited (HTTP 429)" in message
    assert f"server said: 'Rate limit exceeded: {SIM_RATE} requests per minute'" in message
    assert "Lower TIKTOK_API_RATE_PER_MINUTE or the run concurrency" in message
    assert "(gave up after 3 attempts)" in message
    every = [f"{p}|{n}" for p in products for n in (1, 7, 30, 90)]
    for key in sorted(set(every) - set(written)):
        entity_id = key.split("|")[0]
        assert f"  {key}: POST /api/v1/tiktok-shop/product-detail/total (id={entity_id})" in message
    ledger = sim.ledger(KEY)
    assert ledger["rate_limited"] == 4 * 3  # four partitions, three attempts each
    assert ledger["credits_used"] == SIM_RATE
    calls = journal(warehouse_url)
    refused = calls[calls["status"] == 429]
    assert len(refused) == 12 and (refused["credits"] == 0).all()
    assert sorted(refused["attempt"].value_counts().to_dict().items()) == [(1, 4), (2, 4), (3, 4)]
    assert {r["id"] for r in rows(warehouse_url, "product_total")} == {products[0]}

    sim.configure(rate_limit_per_minute=0)
    again = run([product_total], instance, res, key_range=key_range)
    assert again.success, failure_message(again)
    assert cache_hits(again, warehouse_url) == SIM_RATE
    assert sim.ledger(KEY)["credits_used"] == reference.credits == 8
    assert_same_data(warehouse_url, reference)
    assert_no_answer_paid_twice(warehouse_url)


def test_429s_with_retry_after_are_waited_out(
    sim, today, warehouse_url, reference_url, instance, monkeypatch
) -> None:
    product = sim.world.product_ids()[0]
    instance.add_dynamic_partitions("product_ids", [product])
    key_range = (f"{product}|1", f"{product}|90")  # 4 partitions
    reference = clean_run(sim, instance, reference_url, [product_total], key_range=key_range)

    sim.configure(rate_limit_per_minute=SIM_RATE, retry_after=True)
    # The server answers the first requests 429 with `Retry-After: 1`.
    _fill_rate_window_at_first_request(sim, KEY, 0.6, monkeypatch)
    # Five quick retries (at most 0.25 s in all) would all land inside the full window: only
    # waiting as `Retry-After` says gets the requests through.
    res = resources(sim, warehouse_url, rate_per_minute=0, max_concurrency=4, **FAST)
    started = time.monotonic()
    result = run([product_total], instance, res, key_range=key_range)
    elapsed = time.monotonic() - started

    assert result.success, failure_message(result)
    assert elapsed >= 1.0
    ledger = sim.ledger(KEY)
    assert ledger["rate_limited"] == 4
    assert ledger["responses"] == {"200": 4, "429": 4}
    calls = journal(warehouse_url)
    assert (
        sorted(zip(calls["status"], calls["attempt"], strict=True))
        == [(200, 2)] * 4 + [(429, 1)] * 4
    )
    assert ledger["credits_used"] == len(paid(calls)) == reference.credits
    assert_same_data(warehouse_url, reference)
    assert_no_answer_paid_twice(warehouse_url)


def test_a_credit_limit_reached_mid_list_keeps_whole_lists_and_the_rerun_pays_the_rest(
    sim, today, warehouse_url, reference_url, instance
) -> None:
    creators = sim.world.creator_ids()[:3]
    instance.add_dynamic_partitions("creator_ids", creators)
    key_range = (f"{creators[0]}|1", f"{creators[-1]}|90")  # 12 lists of 1 to 6 pages of 2
    settings = {"page_size": 2, "max_concurrency": 1}
    reference = clean_run(
        sim, instance, reference_url, [creator_products], key_range=key_range, **settings
    )
    # The limit falls inside a list: the first call past it asks for page 2 or later.
    calls = [json.loads(p) for p in paid(journal(reference_url))["params"]]
    limit = next(i for i in range(3, len(calls)) if calls[i]["page"] > 1)
    cut = calls[limit]
    interrupted = f"{cut['id']}|{cut['period']}"

    sim.configure(monthly_credit_limit=limit)
    res = resources(sim, warehouse_url, **settings, **FAST)
    result = run([creator_products], instance, res, key_range=key_range)

    assert not result.success
    message = failure_message(result)
    assert "creator_products: the run stopped at once" in message
    assert f"POST /api/v1/tiktok-shop/creator-detail/searchProducts (id={cut['id']})" in (message)
    assert f"Monthly credit limit reached ({limit}). Resets next month." in message
    assert "Credits reset on the 1st of next month (UTC)" in message
    assert "will not be paid again" in message
    written = materialized(result, "creator_products")
    assert f"{len(written)} partition(s) were written and materialized" in message
    assert f"{12 - len(written) - 1} were not attempted" in message
    assert interrupted not in written
    ledger = sim.ledger(KEY)
    assert ledger["credit_limited"] == 1  # not retried, and nothing sent after it
    assert ledger["credits_used"] == limit
    calls = journal(warehouse_url)
    assert len(paid(calls)) == limit
    assert calls.iloc[-1]["status"] == 429 and calls.iloc[-1]["credits"] == 0
    # The pages of the interrupted list are journaled, but no partial list is in the table.
    stored = rows(warehouse_url, "creator_products")
    lists = sorted({f"{r['creator_id']}|{r['period']}" for r in stored})
    assert lists == written
    clean = reference.tables["creator_products"]
    assert stored == [r for r in clean if f"{r['creator_id']}|{r['period']}" in written]

    sim.configure(monthly_credit_limit=20_000)
    again = run([creator_products], instance, res, key_range=key_range)
    assert again.success, failure_message(again)
    assert cache_hits(again, warehouse_url) == limit
    assert sim.ledger(KEY)["credits_used"] == reference.credits
    assert_same_data(warehouse_url, reference)
    assert_no_answer_paid_twice(warehouse_url)
