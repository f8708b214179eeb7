"""Month: 30 simulated days of refresh on a living market, adaptive vs uniform, equal credits.

The simulator serves a living world (products launch, grow, die, change price; the vendor
revises the last days) of 30 shops of 80–150 products (about 3,400 products), no rate limit.
Each policy runs in its own process with its own key, warehouse and Dagster instance, over
the 30 days of November 2026 (a whole credit month of 20,000 credits). Every day:

1. `TIKTOK_TODAY` and the simulator's `today` move to the day;
2. the day's refresh: `tiktok_assets.cli.refresh.day_requests`, the code `tiktok-assets
   refresh` and the schedules run (`TIKTOK_REFRESH_POLICY=adaptive|uniform`), executed in
   this process on the instance;
3. discovery: the product discovery sensor's tick on the day's new lists (top 20 of each, within
   its budget rule on the month's 20,000 credits), its first fetches executed the same way
   (paced under adaptive; under uniform as today, launched at once).

Every shop is tracked from day 1. Three policies, each spending the same month:
- `adaptive`: `TIKTOK_REFRESH_POLICY=adaptive`, the project's default;
- `uniform`: `TIKTOK_REFRESH_POLICY=uniform`, the fixed cadences (periods 1 and 7 and the
  profiles daily, 30 and 90 weekly). It has no pacing of its own, so its refresh runs with the
  month's limit set each day to what is spent plus the day's share (the same pacing);
- `round-robin`: the textbook uniform policy at equal credits — the adaptive machinery (pacing,
  burst, cap, free routes) choosing the longest-unfetched routes first, ignoring weights and
  change rates (`PolicySettings(weighted=False)`): every route as often as the credits allow.
  It separates what the weighting buys from what spending the whole share buys.

Measured each day against the simulator's truth of that day (the same seed, in-process):
- GMV-weighted freshness: over every product on sale × period (1, 7, 30, 90), weighted by its
  true revenue of the period, the share whose newest stored value (a `product_total` row or a
  `shop_products` list row) equals the API's answer of the day; averaged over the days;
- top-100 precision: the warehouse's top 100 products by 7-day revenue (newest stored values)
  against the truth's top 100;
- launch lag: for products launched during the month that reach the truth's top 100, days from
  launch to their first day in the warehouse's top 100 (median, 90th percentile);
- credits per day (the journal), and the largest day against its share;
- useful polls (the measure the re-polling literature reports beside freshness): of the paid
  calls that repeat an earlier paid call (same route and parameters), the share whose answer
  differed from that earlier answer, overall and per route.
"""

from __future__ import annotations

import datetime as dt
import os
import statistics
import time
from typing import Any

from benchmarks.support import ROOT, Params, Result, run_case, simulator, sqlite_url, table

PERIODS = (1, 7, 30, 90)
FIRST_DAY = dt.date(2026, 11, 1)
FULL = {"seed": 7, "shops": 30, "products_per_shop": [80, 150], "days": 30}
QUICK = {"seed": 7, "shops": 8, "products_per_shop": [80, 150], "days": 8}
MONTHLY_CREDITS = 20_000
POLICIES = ("adaptive", "uniform", "round-robin")


def _world(size: Params) -> Any:
    from tiktok_assets.sim import SimConfig, World

    config = {k: v for k, v in size.items() if k != "days"}
    return World.from_config(SimConfig(creators=10, videos=10, market="living", **config))


def _stored(url: str, today: dt.date) -> dict[tuple[str, int], tuple[float, int]]:
    """(product, period) → (revenue, sales) of the newest stored value up to `today`, from
    the product totals and the shop lists (the newer wins; a total on a tie)."""
    import sqlalchemy as sa

    engine = sa.create_engine(url)
    newest: dict[tuple[str, int], tuple[str, float, int]] = {}
    queries = (
        "SELECT product_id, period, snapshot_date, revenue, sales FROM shop_products "
        "WHERE snapshot_date <= :d ORDER BY snapshot_date",
        "SELECT id, period, snapshot_date, revenue, sales FROM product_total "
        "WHERE snapshot_date <= :d ORDER BY snapshot_date",
    )
    with engine.connect() as conn:
        for query in queries:
            for pid, period, day, revenue, sales in conn.execute(
                sa.text(query), {"d": today.isoformat()}
            ):
                key = (str(pid), int(period))
                old = newest.get(key)
                if old is None or str(day) >= old[0]:
                    newest[key] = (str(day), float(revenue or 0.0), int(sales or 0))
    engine.dispose()
    return {k: (v[1], v[2]) for k, v in newest.items()}


def _useful_polls(url: str) -> dict[str, Any]:
    """Of the journal's repeated paid calls (same route and parameters as an earlier paid
    call), the share whose answer differed from the one before: overall and per route."""
    import json

    import sqlalchemy as sa

    engine = sa.create_engine(url)
    last: dict[tuple[str, str], Any] = {}
    polls: dict[str, list[int]] = {}  # route -> [repeats, changed]
    query = (
        "SELECT route, params, body FROM api_calls "
        "WHERE credits > 0 AND error IS NULL AND body IS NOT NULL ORDER BY call_id"
    )
    with engine.connect() as conn:
        for route, params, body in conn.execute(sa.text(query)):
            answer = json.loads(body) if isinstance(body, str) else body
            key = (str(route), str(params))
            if key in last:
                counts = polls.setdefault(str(route), [0, 0])
                counts[0] += 1
                counts[1] += answer != last[key]
            last[key] = answer
    engine.dispose()
    repeats = sum(c[0] for c in polls.values())
    changed = sum(c[1] for c in polls.values())
    return {
        "useful_polls": round(changed / repeats, 4) if repeats else None,
        "repeated_polls": repeats,
        "useful_by_route": {
            route: {"repeats": c[0], "useful": round(c[1] / c[0], 4)}
            for route, c in sorted(polls.items())
        },
    }


def _measure(world: Any, url: str, today: dt.date) -> dict[str, Any]:
    stored = _stored(url, today)
    fresh_weight = total_weight = 0.0
    fresh_count = count = 0
    truth7: list[tuple[float, str]] = []
    for pid in world.launched_products(today):
        for period in PERIODS:
            truth = world.product_total(pid, period, today)
            weight = float(truth["revenue"])
            value = stored.get((pid, period))
            fresh = value is not None and value == (float(truth["revenue"]), int(truth["sales"]))
            total_weight += weight
            fresh_weight += weight if fresh else 0.0
            count += 1
            fresh_count += fresh
            if period == 7:
                truth7.append((-weight, pid))
    truth_top = {pid for _, pid in sorted(truth7)[:100]}
    stored7 = sorted((-v[0], pid) for (pid, period), v in stored.items() if period == 7)
    stored_top = [pid for _, pid in stored7[:100]]
    return {
        "gmv_fresh": fresh_weight / total_weight if total_weight else 0.0,
        "fresh": fresh_count / count if count else 0.0,
        "precision": len(truth_top.intersection(stored_top)) / 100,
        "truth_top": sorted(truth_top),
        "stored_top": stored_top,
    }


def _case(params: Params) -> Result:
    """One policy over the month (see the module docstring)."""
    import httpx
    from dagster import DagsterInstance, build_resources

    size, policy = params["size"], params["policy"]
    url = sqlite_url(f"month-{policy}.sqlite")
    os.environ.update(
        {
            "TIKTOK_REFRESH_POLICY": "uniform" if policy == "uniform" else "adaptive",
            "TIKTOK_API_ORIGIN": params["url"],
            "WH_API_KEY": params["key"],
            "TIKTOK_WAREHOUSE_URL": url,
            "TIKTOK_API_RATE_PER_MINUTE": "0",
            "TIKTOK_API_CONCURRENCY": "16",
            "TIKTOK_MONTHLY_CREDIT_LIMIT": str(MONTHLY_CREDITS),
            "TIKTOK_TODAY": FIRST_DAY.isoformat(),
        }
    )
    from tiktok_assets.cli.refresh import day_requests, execute
    from tiktok_assets.definitions import defs as code_location
    from tiktok_assets.economy import CreditBudgetResource, pacing
    from tiktok_assets.economy.journal import credits_spent
    from tiktok_assets.economy.pricing import Pricing
    from tiktok_assets.refresh.first_fetch import discovery_tick
    from tiktok_assets.refresh.settings import refresh_settings
    from tiktok_assets.resources import resources
    from tiktok_assets.tracking.discovery import PRODUCT_FEEDS
    from tiktok_assets.tracking.settings import discovery_settings

    if policy == "round-robin":  # the adaptive machinery with the textbook uniform choice
        import functools

        from tiktok_assets.refresh import plan
        from tiktok_assets.refresh import policy as choice

        plan.PolicySettings = functools.partial(choice.PolicySettings, weighted=False)  # type: ignore[misc]
    world = _world(size)
    lines: list[str] = []
    days: list[dict[str, Any]] = []
    first_top: dict[str, dt.date] = {}
    reached_truth: dict[str, dt.date] = {}
    started = time.monotonic()
    cursor: str | None = None
    with DagsterInstance.ephemeral() as instance:
        instance.add_dynamic_partitions("shop_ids", world.shop_ids())
        for offset in range(size["days"]):
            today = FIRST_DAY + dt.timedelta(days=offset)
            os.environ["TIKTOK_TODAY"] = today.isoformat()
            httpx.post(f"{params['url']}/_sim/config", json={"today": today.isoformat()})
            settings = refresh_settings()
            defs = code_location()
            with build_resources(resources()) as bound:
                month = Pricing.from_resources(bound.warehouse, bound.api, bound.credit_budget)
                engine = bound.warehouse.engine
                before = credits_spent(engine, today)
                share = pacing.day_share(MONTHLY_CREDITS, before, today)
                pricing = month
                if policy == "uniform":  # the same pacing, as the month's limit of the day
                    gate = CreditBudgetResource(monthly_credit_limit=before + share)
                    pricing = Pricing.from_resources(bound.warehouse, bound.api, gate)
                requests = day_requests(instance, pricing, settings, lines.append)
                execute(defs, instance, requests, lines.append, engine)
                found = discovery_tick(
                    instance,
                    cursor,
                    entity="product",
                    feeds=PRODUCT_FEEDS,
                    pricing=month,
                    discovery=discovery_settings(),
                    settings=settings,
                    log=_quiet(),
                    name="product_discovery_sensor",
                )
                cursor = found.cursor
                for add in found.dynamic_partitions_requests or []:
                    instance.add_dynamic_partitions(add.partitions_def_name, add.partition_keys)
                if found.run_requests:
                    execute(defs, instance, found.run_requests, lines.append, engine)
                spent = credits_spent(engine, today) - before
            m = _measure(world, url, today)
            for pid in m["stored_top"]:
                first_top.setdefault(pid, today)
            for pid in m["truth_top"]:
                reached_truth.setdefault(pid, today)
            days.append(
                {
                    "day": today.isoformat(),
                    "credits": spent,
                    "share": share,
                    "gmv_fresh": round(m["gmv_fresh"], 4),
                    "fresh": round(m["fresh"], 4),
                    "precision": m["precision"],
                    "tracked_products": len(instance.get_dynamic_partitions("product_ids")),
                }
            )
            print(policy, days[-1], flush=True)
    lags: list[int] = []
    behind: list[int] = []  # days after the truth's own first day in its top 100
    never = 0
    for pid, reached in reached_truth.items():
        launch = world.launch_date(pid)
        if launch < FIRST_DAY:
            continue
        if pid in first_top:
            lags.append((first_top[pid] - launch).days)
            behind.append((first_top[pid] - reached).days)
        else:
            never += 1
    lags.sort()
    credits = [d["credits"] for d in days]
    return {
        "policy": policy,
        "products": len(world.product_ids()),
        "days": days,
        "gmv_fresh": round(statistics.mean(d["gmv_fresh"] for d in days), 4),
        "fresh": round(statistics.mean(d["fresh"] for d in days), 4),
        "precision": round(statistics.mean(d["precision"] for d in days), 4),
        "launch_lag_median": statistics.median(lags) if lags else None,
        "launch_lag_p90": lags[int(0.9 * (len(lags) - 1))] if lags else None,
        "launch_lag_behind_truth_median": statistics.median(behind) if behind else None,
        "launched_in_top": len(lags) + never,
        "launched_never_seen": never,
        "credits": sum(credits),
        "max_day_over_share": max(d["credits"] - d["share"] for d in days),
        "seconds": round(time.monotonic() - started, 1),
        "failed_runs": sum("FAILED" in line for line in lines),
        **_useful_polls(url),
    }


def _quiet() -> Any:
    import logging

    log = logging.getLogger("benchmarks.month")
    log.setLevel(logging.WARNING)
    return log


CASES = dict.fromkeys(POLICIES, _case)
"""One case per policy (each its own child log: `logs/month-<policy>.log`)."""


def run(quick: bool, timeout_scale: float = 1.0) -> Result:
    """Both policies, each with its own key (its own ledger) on one simulator."""
    size = QUICK if quick else FULL
    results: Result = {"config": {**size, "monthly_credits": MONTHLY_CREDITS}}
    log = ROOT / "benchmarks" / "results" / "logs" / "month-sim.log"
    world = {k: v for k, v in size.items() if k != "days"}
    sim_config = {
        **world,
        "creators": 10,
        "videos": 10,
        "market": "living",
        "rate_limit_per_minute": 0,
        "monthly_credit_limit": 10 * MONTHLY_CREDITS,
        "today": FIRST_DAY.isoformat(),
    }
    with simulator(log, **sim_config) as sim:
        for policy in POLICIES:
            key = sim.add_key(f"bench-month-{policy}")
            params = {"size": size, "policy": policy, "url": sim.url, "key": key}
            results[policy] = run_case("month", policy, params, timeout=5400 * timeout_scale)
            results[policy]["simulator_credits"] = sim.ledger(key)["credits_used"]
    a = results.get("adaptive", {})
    for baseline in ("uniform", "round-robin"):
        b = results.get(baseline, {})
        if a.get("gmv_fresh") and b.get("gmv_fresh"):
            results[f"gmv_fresh_gain_over_{baseline}"] = round(
                a["gmv_fresh"] / b["gmv_fresh"] - 1, 4
            )
    return results


def report(results: Result) -> str:
    """One row per policy; the gain of adaptive over uniform under the table."""
    rows = []
    for policy in POLICIES:
        r = results.get(policy, {})
        if "error" in r:
            rows.append([policy, r["error"][-200:], "", "", "", "", "", "", "", ""])
            continue
        days = r.get("days", [])
        rows.append(
            [
                policy,
                r.get("gmv_fresh"),
                r.get("fresh"),
                r.get("precision"),
                f"{r.get('launch_lag_median')} / {r.get('launch_lag_p90')} "
                f"({r.get('launch_lag_behind_truth_median')} behind the truth; "
                f"{r.get('launched_in_top')} products)",
                f"{r.get('credits'):,}" if r.get("credits") is not None else "",
                f"{min(d['credits'] for d in days)}–{max(d['credits'] for d in days)}"
                if days
                else "",
                r.get("max_day_over_share"),
                f"{r.get('useful_polls')} of {r.get('repeated_polls')}",
                r.get("seconds"),
            ]
        )
    text = table(
        [
            "policy",
            "GMV-weighted freshness",
            "unweighted",
            "top-100 precision",
            "launch → top 100, days (median / p90)",
            "credits (month)",
            "credits a day",
            "largest day − share",
            "useful polls (of repeats)",
            "wall s",
        ],
        rows,
    )
    for baseline in ("uniform", "round-robin"):
        gain = results.get(f"gmv_fresh_gain_over_{baseline}")
        if gain is not None:
            text += f"\nadaptive over {baseline}, GMV-weighted freshness: {gain:+.1%}"
    useful = {p: results.get(p, {}).get("useful_by_route", {}) for p in POLICIES}
    routes = sorted({route for by_route in useful.values() for route in by_route})
    if routes:
        by_route = [
            [route] + [_useful_cell(useful[p].get(route)) for p in POLICIES] for route in routes
        ]
        text += "\n\nUseful polls by route (changed answers / repeated paid calls):\n\n"
        text += table(["route", *POLICIES], by_route)
    return text


def _useful_cell(counts: dict[str, Any] | None) -> str:
    return "" if counts is None else f"{counts['useful']:.2f} of {counts['repeats']:,}"
