"""Rate ceiling: how close the project runs to the vendor's rate limit, without a 429.

Each case fetches `product_total` partitions (products × 4 periods, one paid request each)
from the simulator over HTTP (50 ms latency) with the simulator's rate limit and the
project's `rate_per_minute` set to the same value, into an empty SQLite warehouse:

- `limit_60` and `limit_600`: one process, one run of all the partitions (what the
  project's single-run backfill policy yields), 3 × the limit in requests (about two
  minutes).
- `three_runs_120` (issue #5): three runs started together, each in its own process, sharing
  one SQLite warehouse (hence one `SqlRateLimiter`) and one `DAGSTER_HOME` whose
  `tiktok_api` pool is raised from 2 to 3 so that the three fetch at once; 3 × the limit.

The achieved rate is measured at the simulator (arrival times at its rate limiter): requests
past the first window's allowance over the time from the first to the last request (see
`support.steady_rate`); 429s and credits come from the simulator's ledger.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from pathlib import Path

from benchmarks.support import (
    PYTHON,
    ROOT,
    Params,
    Result,
    api_resources,
    dagster_home,
    product_ids,
    run_case,
    simulator,
    sqlite_url,
    steady_rate,
    stop_process,
    table,
)

PERIODS = 4
RANGE_START = "dagster/asset_partition_range_start"
RANGE_END = "dagster/asset_partition_range_end"

FULL = {"limit_60": (60, 180), "limit_600": (600, 1800), "three_runs_120": (120, 360)}
QUICK = {"limit_60": (60, 120), "limit_600": (600, 1200), "three_runs_120": (120, 240)}
"""case -> (requests per minute, requests): whole multiples of the limit."""
SIM = {"latency_ms": 50, "monthly_credit_limit": 10_000_000}


def _materialize(
    instance: object, params: Params, ids: list[str], warehouse_url: str
) -> tuple[int, int]:
    """Materialize `ids` × periods in one run (or runs of `per_run`); (partitions, runs)."""
    from dagster import materialize

    from tiktok_assets.assets.products import product_total
    from tiktok_assets.partitions import product_period

    res = api_resources(
        params["url"], params["key"], warehouse_url, rate_per_minute=params["limit"]
    )
    wanted = set(ids)
    every = product_period.get_partition_keys(dynamic_partitions_store=instance)  # type: ignore[arg-type]
    keys = [k for k in every if k.split("|")[0] in wanted]
    per_run = params.get("per_run") or len(keys)
    chunks = [keys[i : i + per_run] for i in range(0, len(keys), per_run)]
    for chunk in chunks:
        result = materialize(
            [product_total],
            instance=instance,  # type: ignore[arg-type]
            resources=res,
            tags={RANGE_START: chunk[0], RANGE_END: chunk[-1]},
        )
        if not result.success:
            raise RuntimeError(f"the run {chunk[0]}...{chunk[-1]} failed")
    return len(keys), len(chunks)


def single(params: Params) -> Result:
    """One process: `requests / 4` products × 4 periods, in one run."""
    from dagster import DagsterInstance

    ids = product_ids(params["requests"] // PERIODS)
    with dagster_home() as home, DagsterInstance.from_config(str(home)) as instance:
        instance.add_dynamic_partitions("product_ids", ids)
        started = time.perf_counter()
        partitions, runs = _materialize(instance, params, ids, sqlite_url("warehouse.sqlite"))
        wall = time.perf_counter() - started
    return {"partitions": partitions, "runs": runs, "seconds": round(wall, 2)}


def one_run(params: Params) -> Result:
    """One of the parallel runs: wait for the common start time, then materialize its ids."""
    from dagster import DagsterInstance

    with DagsterInstance.from_config(params["home"]) as instance:
        time.sleep(max(0.0, params["start_at"] - time.time()))
        started = time.perf_counter()
        partitions, runs = _materialize(instance, params, params["ids"], params["warehouse"])
    return {"partitions": partitions, "runs": runs, "seconds": time.perf_counter() - started}


def parallel(params: Params) -> Result:
    """`runs` processes started together, sharing one warehouse and one DAGSTER_HOME."""
    from dagster import DagsterInstance

    from tiktok_assets.assets.spec import API_POOL

    runs = params["runs"]
    ids = product_ids(params["requests"] // PERIODS)
    groups = [ids[i * len(ids) // runs : (i + 1) * len(ids) // runs] for i in range(runs)]
    tmp = Path(os.environ["BENCH_TMP"])
    warehouse = sqlite_url("warehouse.sqlite")
    with dagster_home() as home:
        with DagsterInstance.from_config(str(home)) as instance:
            instance.add_dynamic_partitions("product_ids", ids)
            # The project's dagster.yaml lets 2 API steps run at once: raise the pool so that
            # all the runs fetch together (the shared rate limiter is what is measured).
            instance.event_log_storage.set_concurrency_slots(API_POOL, runs)
        start_at = time.time() + 20.0  # time for every process to import Dagster and the project
        procs = []
        for i, group in enumerate(groups):
            child = {**params, "ids": group, "home": str(home), "warehouse": warehouse}
            child["start_at"] = start_at
            with (tmp / f"run-{i}.log").open("wb") as log:
                procs.append(
                    subprocess.Popen(
                        [
                            *(PYTHON, "-m", "benchmarks.child", "rate", "one_run"),
                            *(json.dumps(child), str(tmp / f"run-{i}.json")),
                        ],
                        cwd=ROOT,
                        stdout=log,
                        stderr=subprocess.STDOUT,
                        start_new_session=True,
                    )
                )
        deadline = time.monotonic() + params["timeout"]
        try:
            for proc in procs:
                proc.wait(timeout=max(1.0, deadline - time.monotonic()))
        finally:
            for proc in procs:
                stop_process(proc)
        if any(p.returncode != 0 for p in procs):
            raise RuntimeError(f"a parallel run failed (logs in {tmp})")
        results = [json.loads((tmp / f"run-{i}.json").read_text()) for i in range(runs)]
    return {
        "partitions": sum(r["partitions"] for r in results),
        "runs": sum(r["runs"] for r in results),
        "processes": runs,
        "seconds": round(max(r["seconds"] for r in results), 2),
    }


CASES = {"single": single, "one_run": one_run, "parallel": parallel}


def run(quick: bool, timeout_scale: float = 1.0) -> Result:
    """Run the three cases against one simulator (one key each); return their results."""
    sizes = QUICK if quick else FULL
    results: Result = {"config": {"cases": sizes, "simulator": SIM}}
    log = ROOT / "benchmarks" / "results" / "logs" / "rate-sim.log"
    with simulator(log, **SIM, rate_limit_per_minute=60) as sim:
        for case, (limit, requests) in sizes.items():
            key = sim.add_key(f"bench-rate-{case}")
            sim.configure(rate_limit_per_minute=limit)
            params: Params = {"url": sim.url, "key": key, "limit": limit, "requests": requests}
            windows = requests / limit
            timeout = (70 * windows + 120) * timeout_scale
            if case.startswith("three_runs"):
                params |= {"runs": 3, "timeout": timeout}
                result = run_case("rate", "parallel", params, timeout=timeout + 60)
            else:
                result = run_case("rate", "single", params, timeout=timeout)
            ledger = sim.ledger(key)
            result |= {
                "limit_per_minute": limit,
                "requests_needed": requests,
                "requests_sent": ledger["requests"],
                "http_429": ledger["rate_limited"],
                "credits": ledger["credits_used"],
                **steady_rate(sim.arrivals(key), limit),
            }
            results[case] = result
    return results


def report(results: Result) -> str:
    """The rate-ceiling table."""
    rows = []
    for case, label in (
        ("limit_60", "60/min, one run"),
        ("limit_600", "600/min, one run"),
        ("three_runs_120", "120/min, three runs together"),
    ):
        r = results.get(case)
        if r is None:
            continue
        if "error" in r:
            rows.append([label, r["error"], None, None, None, None, None])
            continue
        rows.append(
            [
                label,
                r.get("requests_needed"),
                r.get("seconds"),
                _share(r.get("sustained_per_minute"), r.get("sustained_share")),
                _share(r.get("overall_per_minute"), r.get("overall_share")),
                r.get("http_429"),
                f"{r.get('credits')} / {r.get('requests_needed')}",
            ]
        )
    return table(
        [
            "rate ceiling",
            "requests",
            "s",
            "sustained /min (share)",
            "overall /min (share)",
            "429s",
            "credits / needed",
        ],
        rows,
    )


def _share(rate: float | None, share: float | None) -> str | None:
    if rate is None or share is None:
        return None
    return f"{rate:.1f} ({share:.1%})"
