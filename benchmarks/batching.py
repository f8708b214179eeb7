"""Batching: the same product × period partitions materialized three ways (issue #7).

(a) batched, as the project does it: the runs its backfill policy yields (one run of the
    whole range by default; runs of `TIKTOK_MAX_PARTITIONS_PER_RUN` when set), each one
    in-process `dagster.materialize` with range tags, timed section by section.
    (a) runs `repeats` times, each in a fresh process with a fresh warehouse; the result is
    their mean.
(b) one in-process run per partition (`materialize(partition_key=...)`) on a sample of the
    partitions, extrapolated linearly. The sample is split in `repeats + 1` parts that run
    before, between and after the runs of (a), so that the machine's drift weighs on both
    alike (each in a fresh process: Dagster runs done earlier in a process slow the later
    ones down, by a third after 50 runs).
(a) and (b) again with the instance on PostgreSQL (the project's `deploy/dagster.yaml`, a
    fresh database on `TIKTOK_TEST_POSTGRES_URL`, default 127.0.0.1:5432; skipped without
    a server), to tell Dagster's per-event cost from SQLite's.
(c) a deployment: `dagster-daemon run` and `dagster-webserver` on a temporary `DAGSTER_HOME`
    (the project's `dagster.yaml`: run queue of 4, `tiktok_api` pool of 2), a backfill
    launched through GraphQL `launchPartitionBackfill`, with `TIKTOK_MAX_PARTITIONS_PER_RUN=1`
    so that the project's own asset gets one run per partition (a default multi-run
    backfill); on a sample, extrapolated from the time its runs kept the deployment busy.

All three fetch `product_total` from the simulator over HTTP (50 ms latency, no rate
limit), each into its own empty SQLite warehouse, so every partition is paid (no journal hit).
"""

from __future__ import annotations

import os
import resource
import subprocess
import time
from pathlib import Path
from typing import Any

import httpx

from benchmarks.support import (
    HOST,
    PYTHON,
    ROOT,
    Params,
    Result,
    api_resources,
    dagster_home,
    free_port,
    postgres_database,
    product_ids,
    run_case,
    simulator,
    sqlite_url,
    stop_process,
    table,
    wait_until,
)

PERIODS = 4
RANGE_START = "dagster/asset_partition_range_start"
RANGE_END = "dagster/asset_partition_range_end"

FULL = {"products": 500, "repeats": 3, "sample": 100, "pg_sample": 50, "daemon_products": 4}
QUICK = {"products": 100, "repeats": 2, "sample": 21, "pg_sample": 10, "daemon_products": 2}
SIM = {"latency_ms": 50, "rate_limit_per_minute": 0, "monthly_credit_limit": 10_000_000}


def _partition_keys(instance: Any, ids: list[str]) -> list[str]:
    from tiktok_assets.partitions import product_period

    instance.add_dynamic_partitions("product_ids", ids)
    return list(product_period.get_partition_keys(dynamic_partitions_store=instance))


def _warm_up(instance: Any, url: str, key: str, partition: str) -> None:
    """One one-partition run on its own warehouse: imports and caches, not measured."""
    from dagster import materialize

    from tiktok_assets.assets.products import product_total

    res = api_resources(url, key, sqlite_url("warmup.sqlite"))
    materialize([product_total], instance=instance, resources=res, partition_key=partition)


def batched(params: Params) -> Result:
    """(a) The runs the project's backfill policy yields, each one `materialize` of a range."""
    from dagster import DagsterInstance, materialize

    from benchmarks.sections import instrument_project
    from tiktok_assets.assets.factory import backfill_policy
    from tiktok_assets.assets.products import product_total
    from tiktok_assets.settings import get_settings

    ids = product_ids(params["products"])
    res = api_resources(params["url"], params["key"], sqlite_url("warehouse.sqlite"))
    storage = params.get("storage", "sqlite")
    with dagster_home(storage) as home, DagsterInstance.from_config(str(home)) as instance:
        keys = _partition_keys(instance, ids)
        _warm_up(instance, params["url"], params["warmup_key"], keys[-1])
        per_run = backfill_policy(get_settings()).max_partitions_per_run or len(keys)
        chunks = [keys[i : i + per_run] for i in range(0, len(keys), per_run)]
        sections = instrument_project()
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        run_seconds: list[float] = []
        for chunk in chunks:
            started = time.perf_counter()
            tags = {RANGE_START: chunk[0], RANGE_END: chunk[-1]}
            if not materialize(
                [product_total], instance=instance, resources=res, tags=tags
            ).success:
                raise RuntimeError("a batched run failed")
            run_seconds.append(time.perf_counter() - started)
        rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        sections.restore()
    wall = sum(run_seconds)
    return {
        "partitions": len(keys),
        "runs": len(chunks),
        "seconds": round(wall, 2),
        "partitions_per_second": round(len(keys) / wall, 2),
        "ms_per_partition": round(wall * 1000 / len(keys), 2),
        "run_seconds": [round(s, 2) for s in run_seconds],
        "peak_rss_mib": round(rss_after / 1024, 1),
        "peak_rss_growth_mib": round((rss_after - rss_before) / 1024, 1),
        "sections": sections.per_partition_ms(len(keys)),
    }


def per_partition(params: Params) -> Result:
    """(b) One `materialize(partition_key=...)` per partition of `keys[start:stop]`."""
    from dagster import DagsterInstance, materialize

    from benchmarks.sections import instrument_project
    from tiktok_assets.assets.products import product_total

    ids = product_ids(params["products"])
    res = api_resources(params["url"], params["key"], sqlite_url("warehouse.sqlite"))
    storage = params.get("storage", "sqlite")
    with dagster_home(storage) as home, DagsterInstance.from_config(str(home)) as instance:
        keys = _partition_keys(instance, ids)
        _warm_up(instance, params["url"], params["warmup_key"], keys[-1])
        part = keys[params["start"] : params["stop"]]
        sections = instrument_project()
        started = time.perf_counter()
        for key in part:
            if not materialize(
                [product_total], instance=instance, resources=res, partition_key=key
            ).success:
                raise RuntimeError(f"the run of {key} failed")
        wall = time.perf_counter() - started
        sections.restore()
    return {
        "partitions": len(keys),
        "measured_partitions": len(part),
        "measured_seconds": wall,
        "sections": sections.per_partition_ms(len(part)),
    }


def _merge_parts(parts: list[Result]) -> Result:
    """(b)'s parts, measured in separate processes, as one result extrapolated to all."""
    errors = [p for p in parts if "error" in p]
    if errors:
        return errors[0]
    measured = sum(p["measured_partitions"] for p in parts)
    wall = sum(p["measured_seconds"] for p in parts)
    sections: dict[str, dict[str, float]] = {}
    for p in parts:
        for name, v in p["sections"].items():
            merged = sections.setdefault(name, {"seconds": 0.0, "calls": 0})
            merged["seconds"] += v["seconds"]
            merged["calls"] += v["calls"]
    for v in sections.values():
        v["ms_per_partition"] = round(v["seconds"] * 1000 / measured, 3)
    per = wall / measured
    total = parts[0]["partitions"]
    return {
        "partitions": total,
        "measured_partitions": measured,
        "runs": measured,
        "measured_seconds": round(wall, 2),
        "seconds": round(per * total, 1),
        "extrapolated": True,
        "partitions_per_second": round(1 / per, 3),
        "ms_per_partition": round(per * 1000, 1),
        "sections": sections,
    }


def _merge_repeats(repeats: list[Result]) -> Result:
    """(a)'s runs, each of all the partitions in a fresh process, as their mean."""
    errors = [r for r in repeats if "error" in r]
    if errors:
        return errors[0]
    partitions = repeats[0]["partitions"]
    wall = sum(r["seconds"] for r in repeats)
    sections: dict[str, dict[str, float]] = {}
    for r in repeats:
        for name, v in r["sections"].items():
            merged = sections.setdefault(name, {"seconds": 0.0, "calls": 0})
            merged["seconds"] += v["seconds"] / len(repeats)
            merged["calls"] += v["calls"]
    for v in sections.values():
        v["ms_per_partition"] = round(v["seconds"] * 1000 / partitions, 3)
    return {
        "partitions": partitions,
        "runs": repeats[0]["runs"],
        "repeats": len(repeats),
        "seconds": round(wall / len(repeats), 2),
        "partitions_per_second": round(partitions * len(repeats) / wall, 2),
        "ms_per_partition": round(wall * 1000 / (partitions * len(repeats)), 2),
        "ms_per_partition_each": [r["ms_per_partition"] for r in repeats],
        "peak_rss_mib": max(r["peak_rss_mib"] for r in repeats),
        "peak_rss_growth_mib": max(r["peak_rss_growth_mib"] for r in repeats),
        "sections": sections,
    }


_LAUNCH = """
mutation Launch($params: LaunchBackfillParams!) {
  launchPartitionBackfill(backfillParams: $params) {
    __typename
    ... on LaunchBackfillSuccess { backfillId }
    ... on PythonError { message }
    ... on InvalidSubsetError { message }
    ... on UnauthorizedError { message }
  }
}
"""
_STATUS = """
query Status($id: String!) {
  partitionBackfillOrError(backfillId: $id) {
    __typename
    ... on PartitionBackfill { status }
    ... on PythonError { message }
  }
}
"""
_LOCATIONS = """
{ workspaceOrError { __typename ... on Workspace {
    locationEntries { name loadStatus locationOrLoadError { __typename } } } } }
"""
_DONE = {"COMPLETED", "COMPLETED_SUCCESS", "COMPLETED_FAILED", "FAILED", "CANCELED"}


def _graphql(client: httpx.Client, query: str, variables: dict[str, Any] | None = None) -> Any:
    response = client.post("/graphql", json={"query": query, "variables": variables or {}})
    response.raise_for_status()
    body = response.json()
    if body.get("errors"):
        raise RuntimeError(f"GraphQL errors: {body['errors']}")
    return body["data"]


def _location_loaded(client: httpx.Client) -> bool:
    data = _graphql(client, _LOCATIONS)["workspaceOrError"]
    entries = data.get("locationEntries") or []
    return bool(entries) and all(
        e["loadStatus"] == "LOADED"
        and e["locationOrLoadError"]["__typename"] == "RepositoryLocation"
        for e in entries
    )


def _start_deployment(home: Path, env: dict[str, str], port: int) -> list[subprocess.Popen[bytes]]:
    """`dagster-daemon run` and `dagster-webserver` on `home`, logging into the case's folder."""
    bin_dir = Path(PYTHON).parent
    workspace = str(home / "workspace.yaml")
    commands = {
        "daemon": [str(bin_dir / "dagster-daemon"), "run", "-w", workspace],
        "webserver": [
            *(str(bin_dir / "dagster-webserver"), "-h", HOST, "-p", str(port)),
            *("-w", workspace),
        ],
    }
    procs = []
    for name, argv in commands.items():
        with (Path(env["BENCH_TMP"]) / f"{name}.log").open("wb") as log:
            procs.append(
                subprocess.Popen(
                    argv, cwd=home, env=env, stdout=log, stderr=log, start_new_session=True
                )
            )
    return procs


def _daemons_ready(instance: Any) -> bool:
    beats = instance.get_daemon_heartbeats()
    return {"BACKFILL", "QUEUED_RUN_COORDINATOR"} <= set(beats)


def _run_events(instance: Any, run_ids: list[str]) -> list[dict[str, float]]:
    """For each run, the first time of each event type."""
    out = []
    for run_id in run_ids:
        first: dict[str, float] = {}
        for entry in instance.all_logs(run_id):
            if entry.dagster_event is not None:
                first.setdefault(entry.dagster_event.event_type_value, entry.timestamp)
        out.append(first)
    return out


def _phases(runs: list[dict[str, float]]) -> dict[str, float | None]:
    """Mean seconds of each phase of a run (between the events that mark it)."""
    means: dict[str, float | None] = {}
    for name, start, end in _PHASES:
        spans = [r[end] - r[start] for r in runs if start in r and end in r]
        means[name] = round(sum(spans) / len(spans), 2) if spans else None
    return means


def daemon(params: Params) -> Result:
    """(c) A backfill of `daemon_products` × 4 partitions through the daemon, one run each."""
    from dagster import DagsterInstance, RunsFilter

    ids = product_ids(params["daemon_products"])
    port = free_port()
    with dagster_home() as home:
        (home / "workspace.yaml").write_text(
            "load_from:\n  - python_module:\n      module_name: tiktok_assets.definitions\n"
            f"      working_directory: {ROOT}\n      location_name: tiktok_assets\n"
        )
        env = {
            **os.environ,
            "DAGSTER_HOME": str(home),
            "WH_API_KEY": params["key"],
            "TIKTOK_API_ORIGIN": params["url"],
            "TIKTOK_WAREHOUSE_URL": sqlite_url("warehouse.sqlite"),
            "TIKTOK_API_RATE_PER_MINUTE": "0",
            "TIKTOK_MONTHLY_CREDIT_LIMIT": "10000000",
            "TIKTOK_MAX_PARTITIONS_PER_RUN": "1",  # one run per partition
        }
        with DagsterInstance.from_config(str(home)) as instance:
            keys = _partition_keys(instance, ids)
            procs = _start_deployment(home, env, port)
            client = httpx.Client(base_url=f"http://{HOST}:{port}", timeout=60)
            try:
                if not wait_until(lambda: _location_loaded(client), timeout=240, every=1):
                    raise RuntimeError("the webserver did not load the code location")
                if not wait_until(lambda: _daemons_ready(instance), timeout=240, every=1):
                    raise RuntimeError("the daemons sent no heartbeat")
                launched_at = time.time()
                answer = _graphql(
                    client,
                    _LAUNCH,
                    {
                        "params": {
                            "assetSelection": [{"path": ["product_total"]}],
                            "partitionNames": keys,
                        }
                    },
                )["launchPartitionBackfill"]
                if answer["__typename"] != "LaunchBackfillSuccess":
                    raise RuntimeError(f"launchPartitionBackfill: {answer}")
                backfill_id = answer["backfillId"]
                status = "REQUESTED"
                deadline = time.monotonic() + params["timeout"]
                while status not in _DONE and time.monotonic() < deadline:
                    time.sleep(2)
                    data = _graphql(client, _STATUS, {"id": backfill_id})[
                        "partitionBackfillOrError"
                    ]
                    status = data.get("status", data["__typename"])
                done_at = time.time()
            finally:
                client.close()
                for proc in procs:
                    stop_process(proc, grace=20)
            records = instance.get_run_records(RunsFilter(tags={"dagster/backfill": backfill_id}))
            succeeded = sum(r.dagster_run.status.value == "SUCCESS" for r in records)
            events = _run_events(instance, [r.dagster_run.run_id for r in records])
    starts = [e["PIPELINE_STARTING"] for e in events if "PIPELINE_STARTING" in e]
    ends = [e["PIPELINE_SUCCESS"] for e in events if "PIPELINE_SUCCESS" in e]
    busy = (max(ends) - min(starts)) if starts and ends else None
    per = busy / max(succeeded, 1) if busy else None
    total = params["products_total"] * PERIODS
    return {
        "partitions": total,
        "measured_partitions": len(keys),
        "backfill_status": status,
        "runs": len(records),
        "runs_succeeded": succeeded,
        "seconds_launch_to_backfill_done": round(done_at - launched_at, 2),
        "measured_seconds": round(busy, 2) if busy else None,
        "seconds": round(per * total, 1) if per else None,
        "extrapolated": True,
        "partitions_per_second": round(1 / per, 3) if per else None,
        "ms_per_partition": round(per * 1000, 1) if per else None,
        "mean_run_phase_seconds": _phases(events),
    }


_PHASES = (
    ("queued", "PIPELINE_ENQUEUED", "PIPELINE_STARTING"),
    ("run worker: process start, code load", "PIPELINE_STARTING", "PIPELINE_START"),
    ("step worker: process start, code load", "STEP_WORKER_STARTING", "STEP_START"),
    ("step (fetch, write, events)", "STEP_START", "STEP_SUCCESS"),
    ("step end to run end", "STEP_SUCCESS", "PIPELINE_SUCCESS"),
    ("whole run, dequeued to success", "PIPELINE_STARTING", "PIPELINE_SUCCESS"),
)


CASES = {"batched": batched, "per_partition": per_partition, "daemon": daemon}
_IN_PROCESS = ("batched", "per_partition", "batched_pg", "per_partition_pg")


def run(quick: bool, timeout_scale: float = 1.0) -> Result:
    """(b) in two halves around (a); both again on PostgreSQL; then (c). One simulator."""
    size = QUICK if quick else FULL
    results: Result = {"config": {**size, "periods": PERIODS, "simulator": SIM}}
    log = ROOT / "benchmarks" / "results" / "logs" / "batching-sim.log"
    with simulator(log, **SIM) as sim:
        keys = {
            case: sim.add_key(f"bench-batching-{case}")
            for case in (*_IN_PROCESS, "warmup", "daemon")
        }
        common = {"url": sim.url, "products": size["products"], "warmup_key": keys["warmup"]}
        # (b)'s sample in parts before, between and after the runs of (a), each in a fresh
        # process.
        cuts = [size["sample"] * i // (size["repeats"] + 1) for i in range(size["repeats"] + 2)]
        parts, repeats = [], []
        for i in range(size["repeats"] + 1):
            params = {**common, "key": keys["per_partition"], "start": cuts[i], "stop": cuts[i + 1]}
            parts.append(run_case("batching", "per_partition", params, timeout=600 * timeout_scale))
            if i < size["repeats"]:
                params = {**common, "key": keys["batched"]}
                repeats.append(run_case("batching", "batched", params, timeout=600 * timeout_scale))
        results["batched"] = _merge_repeats(repeats)
        results["per_partition"] = _merge_parts(parts)
        with postgres_database() as env:
            for case, extra in (
                ("batched", {}),
                ("per_partition", {"start": 0, "stop": size["pg_sample"]}),
            ):
                if env is None:
                    results[f"{case}_pg"] = {"error": "no PostgreSQL server answered"}
                    continue
                params = {**common, **extra, "key": keys[f"{case}_pg"], "storage": "postgres"}
                result = run_case("batching", case, params, timeout=600 * timeout_scale, env=env)
                results[f"{case}_pg"] = result if case == "batched" else _merge_parts([result])
        params = {
            "url": sim.url,
            "key": keys["daemon"],
            "daemon_products": size["daemon_products"],
            "products_total": size["products"],
            "timeout": 420 * timeout_scale,
        }
        results["daemon"] = run_case("batching", "daemon", params, timeout=600 * timeout_scale)
        for case, key in keys.items():
            if case in results:
                results[case]["ledger"] = {
                    k: sim.ledger(key)[k] for k in ("requests", "credits_used", "rate_limited")
                }
    rate = {k: v.get("partitions_per_second") for k, v in results.items() if isinstance(v, dict)}
    for name, x, y in (
        ("ratio_a_b", "batched", "per_partition"),
        ("ratio_a_c", "batched", "daemon"),
        ("ratio_a_b_pg", "batched_pg", "per_partition_pg"),
    ):
        results[name] = round(rate[x] / rate[y], 1) if rate.get(x) and rate.get(y) else None
    return results


_WHERE = (
    ("Dagster outside the step: create run, planned events, start/end", None),
    ("step: storing batches, wall", "store batch (wall)"),
    ("  materialization events (one per partition)", "materialization events (wall)"),
    ("  warehouse write", "warehouse write (wall)"),
    ("step: waiting for fetches, plan, checks, logs", "rest"),
    ("fetch phase, wall (overlaps storing)", "fetch phase (wall)"),
    ("  HTTP requests (sum over concurrent requests)", "HTTP request (sum, concurrent)"),
    ("  journal lookup (sum)", "journal lookup (sum, concurrent)"),
    ("  journal record (sum)", "journal record (sum, concurrent)"),
    (
        "  rate limiter + credit budget (sum)",
        ("rate limiter (sum, concurrent)", "credit budget (sum, concurrent)"),
    ),
    ("total", "total"),
)
"""Rows of the where-the-time-goes table. The step stores batch n while batch n + 1 is
fetched, so the fetch phase overlaps the storing; what the step spends waiting for a fetch is
in "waiting for fetches"."""


def _where(result: Result) -> dict[str, float | None]:
    """ms per partition of each part of the run (see `_WHERE`)."""
    sections = result.get("sections") or {}
    n = result.get("measured_partitions", result.get("partitions")) or 1
    ms = {name: v["seconds"] * 1000 / n for name, v in sections.items()}
    total = result.get("ms_per_partition")
    step = ms.get("step body (wall)", 0.0)
    out: dict[str, float | None] = {}
    for label, source in _WHERE:
        if source is None:
            out[label] = total - step if total is not None else None
        elif source == "rest":
            out[label] = step - ms.get("store batch (wall)", 0.0)
        elif source == "total":
            out[label] = total
        elif isinstance(source, tuple):
            out[label] = sum(ms.get(k, 0.0) for k in source)
        else:
            out[label] = ms.get(source)
    return {k: round(v, 1) if v is not None else None for k, v in out.items()}


_ROWS = (
    ("batched", "(a) batched (this project)"),
    ("per_partition", "(b) one in-process run per partition"),
    ("daemon", "(c) daemon backfill, one run per partition"),
    ("batched_pg", "(a) batched, instance on PostgreSQL"),
    ("per_partition_pg", "(b) run per partition, instance on PostgreSQL"),
)


def report(results: Result) -> str:
    """The batching table, and where a partition's time goes in (a) and (b)."""
    rows = []
    for case, label in _ROWS:
        r = results.get(case, {})
        if "error" in r:
            rows.append([label, r["error"], None, None, None, None])
            continue
        measured = r.get("measured_partitions", r.get("partitions"))
        repeats = f", {r['repeats']} times" if r.get("repeats") else ""
        rows.append(
            [
                label,
                r.get("runs"),
                f"{measured} of {r.get('partitions')}{repeats}",
                r.get("seconds"),
                r.get("partitions_per_second"),
                r.get("ms_per_partition"),
            ]
        )
    text = table(
        ["batching", "runs", "partitions measured", "s for all", "partitions/s", "ms/partition"],
        rows,
    )
    each = results.get("batched", {}).get("ms_per_partition_each")
    ratios = (
        f"(a)/(b) = {results.get('ratio_a_b')}×, (a)/(c) = {results.get('ratio_a_c')}×; "
        f"with the instance on PostgreSQL (a)/(b) = {results.get('ratio_a_b_pg')}×"
        + (f"; (a)'s runs, ms/partition: {', '.join(map(str, each))}" if each else "")
    )
    columns = [
        (k, label)
        for k, label in _ROWS
        if k != "daemon" and "error" not in results.get(k, {"error": 1})
    ]
    wheres = {k: _where(results[k]) for k, _ in columns}
    where = table(
        [
            "ms per partition",
            *(
                label.split(" ", 1)[0] + (" pg" if k.endswith("_pg") else "")
                for k, label in columns
            ),
        ],
        [[label, *(wheres[k][label] for k, _ in columns)] for label, _ in _WHERE],
    )
    phases = results.get("daemon", {}).get("mean_run_phase_seconds") or {}
    daemon = table(["(c) one run, mean s", "s"], [[k, v] for k, v in phases.items()])
    return f"{text}\n\n{ratios}\n\n{where}\n\n{daemon}"
