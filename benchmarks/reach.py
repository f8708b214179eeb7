"""reach (issue #22): from a few seeds to the market that sells, within the key's credits.

The simulator serves a living market (launches, growth, deaths, price changes, late
corrections) of 150 shops of 80–120 products (15,000 products, about 8,500 on sale in
November 2026) and 1,500 creators who each sell 2–15 products of any shop (`--quick`: 40
shops, 8 days). Each case runs 30 days (November 2026, one credit month of 20,000) in its own
process, key, warehouse and Dagster instance, seeded with the first 3 shops and 10 videos
posted before the month (a `tracked.yaml`). Every day:

1. `TIKTOK_TODAY` and the simulator's today move to the day;
2. the day's refresh, exactly as `tiktok-assets refresh` runs it (the adaptive policy);
3. discovery, as the sensors' ticks run it (`tracked_ids_sensor`, then the creator, product
   and shop discovery ticks, and their first fetches), round after round until no tick asks
   for a run: everything paced by the day's share.

Three cases: `discovery` (the default: shops are discovered) and `seeds-only`
(`TIKTOK_DISCOVER_SHOPS=0`: the behaviour before, only the seeded shops' lists), both from the
issue's seeds, and `discovery-100-videos` (seeded with 100 videos instead of 10: seeds that
can lead to most of the market, where the month's credits are what bounds the reach).

Measured each day against the simulator's truth of that day (same seed, in-process):
- GMV fresh: the share of the market's true 30-day GMV in products whose four totals (1, 7,
  30, 90 days) are fresh in the warehouse: the newest stored value (a `product_total` row or a
  `shop_products` list row) equals the API's answer of the day, for every period;
- the ceiling: the share of the market's GMV in the shops the data can lead to at all — the
  seeded shops and the shops of every product the seeded videos' creators sell (the API has
  no search route and no product → creator route: nothing else is reachable from these seeds);
- shops and products tracked, dormant ids, credits spent by the refresh and by discovery, the
  day's share;
- stored values of the day that disagree with the API's answer of the day (every
  `product_total`, `shop_products` and `product_detail` row dated that day).
"""

from __future__ import annotations

import datetime as dt
import os
import statistics
import time
from typing import Any

from benchmarks.month import _stored
from benchmarks.support import ROOT, Params, Result, run_case, simulator, sqlite_url, table

PERIODS = (1, 7, 30, 90)
FIRST_DAY = dt.date(2026, 11, 1)
FULL = {"seed": 7, "shops": 150, "products_per_shop": [80, 120], "days": 30}
QUICK = {"seed": 7, "shops": 40, "products_per_shop": [80, 120], "days": 8}
CREATORS, VIDEOS = 1_500, 5_000
SEED_SHOPS, SEED_VIDEOS = 3, 10
MONTHLY_CREDITS = 20_000
CASES_ = ("discovery", "seeds-only", "discovery-100-videos")
SEED_VIDEOS_OF = {"discovery-100-videos": 100}
"""Cases seeded with more videos than the issue's 10: how far the credits go when the seeds
can reach most of the market."""
MILESTONES = (14, 30)
GOALS = {14: 0.60, 30: 0.75}


def _world(size: Params) -> Any:
    from tiktok_assets.sim import SimConfig, World

    config = {k: v for k, v in size.items() if k != "days"}
    return World.from_config(SimConfig(creators=CREATORS, videos=VIDEOS, market="living", **config))


def seeds(world: Any, videos: int = SEED_VIDEOS) -> dict[str, list[str]]:
    """The first shops, and the first `videos` posted before the month, in id order."""
    posted = sorted(world.posted_videos(FIRST_DAY))[:videos]
    return {"shop": world.shop_ids()[:SEED_SHOPS], "video": posted}


def _ceiling(world: Any, seeded: dict[str, list[str]], today: dt.date) -> set[str]:
    """The shops these seeds can lead to on `today`."""
    creators = {world.video(v).creator_id for v in seeded["video"]}
    products = {p for c in creators for p in world.products_of_creator(c, today)}
    products |= {world.video(v).product_id for v in seeded["video"]}
    return set(seeded["shop"]) | {world.product(p).shop_id for p in products}


def _disagreements(world: Any, url: str, today: dt.date) -> tuple[int, int]:
    """(stored values of `today` compared with the API's answer of `today`, disagreeing)."""
    import sqlalchemy as sa

    engine = sa.create_engine(url)
    compared = wrong = 0
    day = {"d": today.isoformat()}
    with engine.connect() as conn:
        totals = conn.execute(
            sa.text(
                "SELECT id, period, revenue, sales FROM product_total WHERE snapshot_date = :d "
                "UNION ALL SELECT product_id, period, revenue, sales FROM shop_products "
                "WHERE snapshot_date = :d"
            ),
            day,
        )
        for pid, period, revenue, sales in totals:
            truth = world.product_total(str(pid), int(period), today)
            compared += 1
            wrong += (float(revenue), int(sales)) != (float(truth["revenue"]), int(truth["sales"]))
        profiles = conn.execute(
            sa.text("SELECT id, revenue, sales FROM product_detail WHERE snapshot_date = :d"), day
        )
        for pid, revenue, sales in profiles:
            truth = world.product_detail(str(pid), today)
            compared += 1
            wrong += (float(revenue), int(sales)) != (float(truth["revenue"]), int(truth["sales"]))
    engine.dispose()
    return compared, wrong


def _measure(world: Any, url: str, today: dt.date, reachable: set[str]) -> dict[str, Any]:
    stored = _stored(url, today)
    market = fresh = ceiling = 0.0
    for pid in world.launched_products(today):
        truths = {p: world.product_total(pid, p, today) for p in PERIODS}
        gmv = float(truths[30]["revenue"])
        market += gmv
        if world.product(pid).shop_id in reachable:
            ceiling += gmv
        if all(
            stored.get((pid, p)) == (float(t["revenue"]), int(t["sales"]))
            for p, t in truths.items()
        ):
            fresh += gmv
    return {
        "gmv_fresh": fresh / market if market else 0.0,
        "ceiling": ceiling / market if market else 0.0,
    }


def _case(params: Params) -> Result:
    """One month of refresh and discovery (see the module docstring)."""
    import tempfile
    from pathlib import Path

    import httpx
    from dagster import DagsterInstance, build_resources

    size, case = params["size"], params["case"]
    url = sqlite_url(f"reach-{case}.sqlite")
    tracked_file = Path(tempfile.mkdtemp(prefix="reach-")) / "tracked.yaml"
    os.environ.update(
        {
            "TIKTOK_REFRESH_POLICY": "adaptive",
            "TIKTOK_DISCOVER_SHOPS": "0" if case == "seeds-only" else "1",
            "TIKTOK_API_ORIGIN": params["url"],
            "WH_API_KEY": params["key"],
            "TIKTOK_WAREHOUSE_URL": url,
            "TIKTOK_API_RATE_PER_MINUTE": "0",
            "TIKTOK_API_CONCURRENCY": "16",
            "TIKTOK_MONTHLY_CREDIT_LIMIT": str(MONTHLY_CREDITS),
            "TIKTOK_TODAY": FIRST_DAY.isoformat(),
            "TIKTOK_TRACKED_FILE": str(tracked_file),
        }
    )
    from tiktok_assets.cli.refresh import day_requests, execute
    from tiktok_assets.definitions import defs as code_location
    from tiktok_assets.economy.journal import credits_spent
    from tiktok_assets.economy.pricing import Pricing
    from tiktok_assets.refresh.settings import refresh_settings
    from tiktok_assets.resources import resources
    from tiktok_assets.tracking.dormancy import dormancy
    from tiktok_assets.tracking.settings import discovery_settings
    from tiktok_assets.tracking.tracked import tracked_ids

    world = _world(size)
    seeded = seeds(world, SEED_VIDEOS_OF.get(case, SEED_VIDEOS))
    tracked_file.write_text(
        "shops: [" + ", ".join(f'"{s}"' for s in seeded["shop"]) + "]\n"
        "videos: [" + ", ".join(f'"{v}"' for v in seeded["video"]) + "]\n"
    )
    lines: list[str] = []
    days: list[dict[str, Any]] = []
    cursors: dict[str, str | None] = {}
    started = time.monotonic()
    with DagsterInstance.ephemeral() as instance:
        for offset in range(size["days"]):
            today = FIRST_DAY + dt.timedelta(days=offset)
            os.environ["TIKTOK_TODAY"] = today.isoformat()
            httpx.post(f"{params['url']}/_sim/config", json={"today": today.isoformat()})
            settings, discovery = refresh_settings(), discovery_settings()
            defs = code_location()
            with build_resources(resources()) as bound:
                pricing = Pricing.from_resources(bound.warehouse, bound.api, bound.credit_budget)
                engine = bound.warehouse.engine
                before = credits_spent(engine, today)
                share = pricing.allowance(today)[0]
                planned = day_requests(instance, pricing, settings, lines.append)
                execute(defs, instance, planned, lines.append, engine)
                refreshed = credits_spent(engine, today) - before
                refresh_planned = _planned(planned)
                planned_by_discovery: list[int] = []

                discover = _Discovery(instance, pricing, discovery, settings, tracked_file)
                discover.until_quiet(
                    cursors,
                    lambda runs, d=defs, e=engine, p=planned_by_discovery: (
                        execute(d, instance, runs, lines.append, e),
                        p.append(_planned(runs)),
                    ),
                )
                spent = credits_spent(engine, today) - before
                tracked = tracked_ids(instance)
                asleep = dormancy(engine, tracked, days=settings.dormant_days)
            reachable = _ceiling(world, seeded, today)
            m = _measure(world, url, today, reachable)
            compared, wrong = _disagreements(world, url, today)
            days.append(
                {
                    "day": today.isoformat(),
                    "gmv_fresh": round(m["gmv_fresh"], 4),
                    "ceiling": round(m["ceiling"], 4),
                    "shops": len(tracked["shop"]),
                    "reachable_shops": len(reachable),
                    "products": len(tracked["product"]),
                    "creators": len(tracked["creator"]),
                    "dormant": asleep.counts(),
                    "credits": spent,
                    "refresh_credits": refreshed,
                    "refresh_planned": refresh_planned,
                    "discovery_credits": spent - refreshed,
                    "discovery_planned": sum(planned_by_discovery),
                    "share": share,
                    "compared": compared,
                    "disagreeing": wrong,
                }
            )
            print(case, days[-1], flush=True)
    credits = [d["credits"] for d in days]
    return {
        "case": case,
        "products": len(world.product_ids()),
        "shops": len(world.shop_ids()),
        "seeds": seeded,
        "days": days,
        **{f"gmv_fresh_day_{n}": days[n - 1]["gmv_fresh"] for n in MILESTONES if n <= len(days)},
        "gmv_fresh_last_day": days[-1]["gmv_fresh"],
        "gmv_fresh_mean": round(statistics.mean(d["gmv_fresh"] for d in days), 4),
        "ceiling_last_day": days[-1]["ceiling"],
        "credits": sum(credits),
        "max_day_over_share": max(d["credits"] - d["share"] for d in days),
        "disagreeing": sum(d["disagreeing"] for d in days),
        "compared": sum(d["compared"] for d in days),
        "seconds": round(time.monotonic() - started, 1),
        "failed_runs": sum("FAILED" in line for line in lines),
    }


def _planned(requests: Any) -> int:
    """The credits the runs were planned at (their `tiktok/planned_credits` tags)."""
    from tiktok_assets.names import PLANNED_CREDITS_TAG

    return sum(int(r.tags.get(PLANNED_CREDITS_TAG, 0)) for r in requests)


class _Discovery:
    """The discovery sensors' ticks of one day, as the daemon runs them: each tick's new ids
    added, its runs executed, round after round until no tick asks for a run."""

    def __init__(self, instance: Any, pricing: Any, discovery: Any, settings: Any, seeds: Any):
        from tiktok_assets.refresh.first_fetch import discovery_tick, tracked_ids_tick
        from tiktok_assets.refresh.shops import shop_discovery_tick
        from tiktok_assets.tracking.discovery import FEEDS

        common = {"pricing": pricing, "discovery": discovery, "settings": settings, "log": _quiet()}
        self.instance = instance
        self.ticks: dict[str, Any] = {
            "tracked": lambda c: tracked_ids_tick(instance, c, path=seeds, **common),
            "creator": lambda c: discovery_tick(
                instance, c, entity="creator", feeds=FEEDS["creator"], name="creator", **common
            ),
            "product": lambda c: discovery_tick(
                instance, c, entity="product", feeds=FEEDS["product"], name="product", **common
            ),
            "shop": lambda c: shop_discovery_tick(instance, c, **common),
        }

    def until_quiet(self, cursors: dict[str, Any], execute: Any, rounds: int = 10) -> None:
        for _round in range(rounds):
            launched = 0
            for name, tick in self.ticks.items():
                result = tick(cursors.get(name))
                cursors[name] = result.cursor
                for add in result.dynamic_partitions_requests or []:
                    self.instance.add_dynamic_partitions(
                        add.partitions_def_name, add.partition_keys
                    )
                if result.run_requests:
                    execute(result.run_requests)
                    launched += len(result.run_requests)
            if not launched:
                return


def _quiet() -> Any:
    import logging

    log = logging.getLogger("benchmarks.reach")
    log.setLevel(logging.WARNING)
    return log


CASES = dict.fromkeys(CASES_, _case)
"""One case per behaviour (each its own child log: `logs/reach-<case>.log`)."""


def run(quick: bool, timeout_scale: float = 1.0) -> Result:
    """Both cases, each with its own key (its own ledger) on one simulator."""
    size = QUICK if quick else FULL
    results: Result = {
        "config": {
            **size,
            "creators": CREATORS,
            "videos": VIDEOS,
            "monthly_credits": MONTHLY_CREDITS,
            "seed_shops": SEED_SHOPS,
            "seed_videos": SEED_VIDEOS,
        }
    }
    log = ROOT / "benchmarks" / "results" / "logs" / "reach-sim.log"
    world = {k: v for k, v in size.items() if k != "days"}
    sim_config = {
        **world,
        "creators": CREATORS,
        "videos": VIDEOS,
        "market": "living",
        "rate_limit_per_minute": 0,
        "monthly_credit_limit": 10 * MONTHLY_CREDITS,
        "today": FIRST_DAY.isoformat(),
    }
    with simulator(log, **sim_config) as sim:
        for case in CASES_:
            key = sim.add_key(f"bench-reach-{case}")
            params = {"size": size, "case": case, "url": sim.url, "key": key}
            results[case] = run_case("reach", case, params, timeout=7200 * timeout_scale)
            results[case]["simulator_credits"] = sim.ledger(key)["credits_used"]
    return results


def report(results: Result) -> str:
    """One row per case; the goals under the table."""
    rows = []
    for case in CASES_:
        r = results.get(case, {})
        if "error" in r:
            rows.append([case, r["error"][-200:], "", "", "", "", "", "", ""])
            continue
        days = r.get("days", [])
        last = days[-1] if days else {}
        rows.append(
            [
                case,
                r.get("gmv_fresh_day_14"),
                r.get("gmv_fresh_day_30", r.get("gmv_fresh_last_day")),
                r.get("ceiling_last_day"),
                f"{last.get('shops')} of {last.get('reachable_shops')} reachable "
                f"({r.get('shops')} in the market)",
                f"{last.get('products')} ({last.get('dormant')})",
                f"{r.get('credits'):,}" if r.get("credits") is not None else "",
                f"{sum(d['refresh_credits'] for d in days):,} / "
                f"{sum(d['discovery_credits'] for d in days):,}",
                r.get("max_day_over_share"),
                f"{r.get('disagreeing')} of {r.get('compared'):,}"
                if r.get("compared") is not None
                else "",
                r.get("seconds"),
            ]
        )
    text = table(
        [
            "case",
            "GMV fresh, day 14",
            "GMV fresh, last day",
            "reachable GMV (ceiling)",
            "shops tracked",
            "products tracked (dormant)",
            "credits (month)",
            "refresh / discovery credits",
            "largest day − share",
            "stored values disagreeing",
            "wall s",
        ],
        rows,
    )
    d = results.get("discovery", {})
    for day, goal in GOALS.items():
        got = d.get(f"gmv_fresh_day_{day}")
        if got is not None:
            verdict = "met" if got >= goal else "not met"
            text += f"\nGMV fresh by day {day}: {got:.2f} (goal ≥ {goal:.2f}: {verdict})"
    per_day = [
        [
            x["day"],
            *(results.get(c, {}).get("days", [{}] * 31)[i].get("gmv_fresh") for c in CASES_),
            d.get("days", [{}] * 31)[i].get("ceiling"),
            d.get("days", [{}] * 31)[i].get("shops"),
            d.get("days", [{}] * 31)[i].get("credits"),
            d.get("days", [{}] * 31)[i].get("discovery_credits"),
            d.get("days", [{}] * 31)[i].get("share"),
        ]
        for i, x in enumerate(d.get("days", []))
    ]
    if per_day:
        text += "\n\nBy day:\n\n" + table(
            [
                "day",
                *(f"GMV fresh ({c})" for c in CASES_),
                "ceiling",
                "shops (discovery)",
                "credits",
                "of which discovery",
                "share",
            ],
            per_day,
        )
    return text
