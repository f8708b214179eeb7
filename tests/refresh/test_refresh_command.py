"""`tiktok-assets refresh` on the living simulator over HTTP: the day's plan, run on the
instance, recorded in `refresh_plan`, capped, paced, deferred, and caught up the next day."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd
import pytest
import sqlalchemy as sa
from dagster import DagsterInstance

from tests.refresh.conftest import make_defs, resources_for
from tests.simserver import RunningSim
from tiktok_assets.cli.refresh import refresh_command
from tiktok_assets.economy.pacing import day_share
from tiktok_assets.economy.pricing import Pricing
from tiktok_assets.names import DEFERRED_ROUTES_TAG, PLAN_TAG
from tiktok_assets.refresh.settings import refresh_settings
from tiktok_assets.warehouse import Warehouse

pytestmark = pytest.mark.e2e

DAY = dt.timedelta(days=1)
ROUTES_PER_SHOP = 1 + 4 + 4  # shop_detail, shop_total and shop_products per period
ROUTES_PER_PRODUCT = 1 + 4 + 1  # product_detail, product_total per period, product_history


def refresh(res: dict[str, Any], instance: DagsterInstance, *, dry_run: bool = False):
    """One `tiktok-assets refresh` in-process: (exit status, printed lines)."""
    lines: list[str] = []
    pricing = Pricing.from_resources(res["warehouse"], res["api"], res["credit_budget"])
    status = refresh_command(
        make_defs(res), instance, pricing, refresh_settings(), dry_run=dry_run, out=lines.append
    )
    return status, lines


def rows(wh_url: str, query: str) -> list[tuple]:
    with Warehouse(url=wh_url).engine.connect() as conn:
        return [tuple(r) for r in conn.execute(sa.text(query))]


def count(wh_url: str, table: str) -> int:
    return rows(wh_url, f"SELECT COUNT(*) FROM {table}")[0][0]


def paid(wh_url: str) -> int:
    return rows(wh_url, "SELECT COALESCE(SUM(credits), 0) FROM api_calls")[0][0]


def plan(wh_url: str) -> pd.DataFrame:
    return Warehouse(url=wh_url).read_table("refresh_plan")


def test_a_dry_run_prints_the_plan_and_writes_nothing(
    living: RunningSim, instance: DagsterInstance, tracked: dict, wh_url: str, today: dt.date
) -> None:
    res = resources_for(living, wh_url)
    status, lines = refresh(res, instance, dry_run=True)
    assert status == 0
    text = "\n".join(lines)
    assert f"refresh plan of {today}" in text and "burst" in text
    assert any(line.strip().startswith("would run") for line in lines)
    assert count(wh_url, "api_calls") == 0
    assert count(wh_url, "refresh_plan") == 0
    assert living.ledger()["credits_used"] == 0
    assert not instance.get_runs()


def test_a_day_fetches_its_plan_lists_first_and_a_second_run_fetches_nothing(
    living: RunningSim, instance: DagsterInstance, tracked: dict, wh_url: str, today: dt.date
) -> None:
    res = resources_for(living, wh_url)
    status, lines = refresh(res, instance)
    assert status == 0, lines
    summary = lines[-1]
    assert "0 failed" in summary and "shop_products" in summary  # derived product totals
    spent = paid(wh_url)
    assert spent > 0 and living.ledger()["credits_used"] == spent

    recorded = plan(wh_url)
    expected = 2 * ROUTES_PER_SHOP + 3 * ROUTES_PER_PRODUCT
    assert len(recorded) == expected  # one row per tracked route
    assert set(recorded["entity_id"]) == set(tracked["shop"]) | set(tracked["product"])
    assert recorded["last_fetch"].isna().all()  # new routes: none was fetched before
    assert set(recorded["action"]) <= {"fetch", "free"} and set(recorded["band"]) == {"burst"}
    assert (recorded["next_due"].astype(str) == (today + DAY).isoformat()).all()
    assert recorded["reason"].str.startswith("new route").all()

    totals = Warehouse(url=wh_url).read_table("product_total")
    assert len(totals) == 3 * 4 and "shop_products" in set(totals["source"])
    runs = instance.get_runs()
    assert runs
    for run in runs:
        assert run.tags[PLAN_TAG] == today.isoformat()
        assert run.tags[DEFERRED_ROUTES_TAG] == "0"

    status, again = refresh(res, instance)
    assert status == 0, again
    assert paid(wh_url) == spent and living.ledger()["credits_used"] == spent  # the cap
    assert again[-1].startswith("0 run(s)") and "0 credit(s)" in again[-1]
    replanned = plan(wh_url)
    assert len(replanned) == expected and set(replanned["action"]) == {"wait"}
    assert set(replanned["last_fetch"].astype(str)) == {today.isoformat()}


def test_an_id_tracked_later_the_same_day_gets_the_burst(
    living: RunningSim, instance: DagsterInstance, tracked: dict, wh_url: str, today: dt.date
) -> None:
    res = resources_for(living, wh_url)
    assert refresh(res, instance)[0] == 0
    known = set(tracked["product"])
    shop = tracked["shop"][0]
    newcomer = next(p for p in living.world.products_of_shop(shop, today) if p not in known)
    instance.add_dynamic_partitions("product_ids", [newcomer])  # no stored history at all
    before = paid(wh_url)

    status, lines = refresh(res, instance)
    assert status == 0, lines
    recorded = plan(wh_url)
    mine = recorded[recorded["entity_id"] == newcomer]
    assert len(mine) == ROUTES_PER_PRODUCT
    assert set(mine["action"]) <= {"fetch", "free"}
    others = recorded[recorded["entity_id"] != newcomer]
    assert set(others["action"]) == {"wait"}
    totals = Warehouse(url=wh_url).read_table("product_total")
    assert len(totals[totals["id"] == newcomer]) == 4
    # its detail and daily series are paid; its totals come from today's lists
    assert 0 < paid(wh_url) - before <= int(mine["credits"].sum()) + 1


def test_a_small_month_spends_the_days_share_defers_the_rest_and_catches_up_the_next_day(
    living: RunningSim,
    instance: DagsterInstance,
    tracked: dict,
    wh_url: str,
    today: dt.date,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    month = 140  # 20 a day over the 7 days left of November from the 24th
    share = day_share(month, 0, today)
    res = resources_for(living, wh_url, credit_limit=month)
    status, lines = refresh(res, instance)
    assert status == 0, lines
    text = "\n".join(lines)
    assert "DEFERRED" in text
    first_day = paid(wh_url)
    assert 0 < first_day <= share
    recorded = plan(wh_url)
    deferred = recorded[recorded["action"] == "defer"]
    assert len(deferred) > 0
    assert (deferred["next_due"].astype(str) == (today + DAY).isoformat()).all()
    assert deferred["reason"].str.contains("deferred").all()
    runs = instance.get_runs()
    assert runs and {r.tags[DEFERRED_ROUTES_TAG] for r in runs} == {str(len(deferred))}
    was_deferred = {(a, e, p) for a, e, p in deferred[["asset", "entity_id", "period"]].values}

    tomorrow = today + DAY
    monkeypatch.setenv("TIKTOK_TODAY", tomorrow.isoformat())
    living.configure(today=tomorrow)
    status, lines = refresh(res, instance)
    assert status == 0, lines
    assert paid(wh_url) - first_day <= day_share(month, first_day, tomorrow)
    nxt = plan(wh_url)
    bursts = nxt[(nxt["action"] == "fetch") & (nxt["band"] == "burst")]
    caught_up = {(a, e, p) for a, e, p in bursts[["asset", "entity_id", "period"]].values}
    assert caught_up and caught_up <= was_deferred  # yesterday's deferred, in the burst
    assert nxt[nxt["band"] == "burst"]["last_fetch"].isna().all()
    assert set(nxt[nxt["action"] == "defer"]["band"]) <= {"burst", "floor"}
