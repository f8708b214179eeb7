"""loading (issue #15): what loading the code location costs, in one run.

- **import**: `python -c 'import dagster'` against loading the code location,
  `python -c 'import tiktok_assets.definitions as d; d.defs()'` (the module is a lazy
  `@definitions` entry point: the definitions are built when Dagster calls it, as here),
  each in a fresh process, alternated, after one warm-up of each (so both read compiled
  bytecode: the children run without `PYTHONDONTWRITEBYTECODE`, and without `TIKTOK_*`
  variables, as a default `dagster dev` does); the medians and their ratio (goal ≤ 1.35×).
- **materialize**: one partition from a shell with the `dagster` CLI,
  `dagster asset materialize -m tiktok_assets.definitions --select shop_total --partition
  '<shop>|30'`, against the bundled simulator over HTTP and a SQLite warehouse, against the
  same command on `benchmarks.bare_asset` (a bare Dagster asset making the same request and
  writing one row with `sqlite3`); same instance, alternated, a new shop each repetition (so
  every run pays its request: nothing comes from the journal), after one warm-up of each
  (which creates the tables); the medians and their ratio (goal ≤ 1.5×).

Times are wall-clock seconds of the whole process, as a user waits for them.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from benchmarks.support import LOGS, PYTHON, ROOT, Result, dagster_home, simulator, table

IMPORT_GOAL = 1.35
MATERIALIZE_GOAL = 1.5
DAGSTER = Path(PYTHON).parent / "dagster"
KEY = "bench-loading-key"
IMPORTS = {
    "dagster": "import dagster",
    "tiktok_assets.definitions": "import tiktok_assets.definitions as d; d.defs()",
}


def _env(**extra: str) -> dict[str, str]:
    """The parent's environment without `TIKTOK_*` and `PYTHONDONTWRITEBYTECODE`, plus `extra`."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("TIKTOK_") and k != "PYTHONDONTWRITEBYTECODE"
    }
    env["TIKTOK_TODAY"] = os.environ.get("TIKTOK_TODAY", "")
    env.update(extra)
    return {k: v for k, v in env.items() if v}


def _timed(command: list[str], env: dict[str, str], timeout: float) -> float:
    """Seconds `command` took; raises with its output's tail when it fails."""
    started = time.perf_counter()
    done = subprocess.run(
        command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout
    )
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        tail = (done.stdout + done.stderr).strip().splitlines()[-5:]
        raise RuntimeError(f"{' '.join(map(str, command))} failed: {' | '.join(tail)}")
    return elapsed


def _summary(seconds: dict[str, list[float]], base: str, subject: str) -> dict[str, Any]:
    medians = {name: statistics.median(times) for name, times in seconds.items()}
    pairs = [s / b for b, s in zip(seconds[base], seconds[subject], strict=True)]
    return {
        "seconds": {name: [round(t, 3) for t in times] for name, times in seconds.items()},
        "median_seconds": {name: round(m, 3) for name, m in medians.items()},
        "ratio": round(medians[subject] / medians[base], 3),
        "median_paired_ratio": round(statistics.median(pairs), 3),
    }


def measure_imports(reps: int, timeout: float) -> dict[str, Any]:
    env = _env()
    for code in IMPORTS.values():  # warm-up: compiles and caches the bytecode
        _timed([PYTHON, "-c", code], env, timeout)
    seconds: dict[str, list[float]] = {name: [] for name in IMPORTS}
    for rep in range(reps):
        order = list(IMPORTS) if rep % 2 == 0 else list(reversed(IMPORTS))
        for name in order:
            seconds[name].append(_timed([PYTHON, "-c", IMPORTS[name]], env, timeout))
    interpreter = statistics.median(_timed([PYTHON, "-c", "pass"], env, timeout) for _ in range(3))
    return {
        **_summary(seconds, "dagster", "tiktok_assets.definitions"),
        "python_startup_seconds": round(interpreter, 3),
        "goal": IMPORT_GOAL,
        "reps": reps,
    }


def _materialize(module: str, asset: str, partition: str) -> list[str]:
    return [
        str(DAGSTER),
        "asset",
        "materialize",
        "-m",
        module,
        "--select",
        asset,
        "--partition",
        partition,
    ]


def measure_materialize(reps: int, timeout: float) -> dict[str, Any]:
    from dagster import DagsterInstance

    with (
        tempfile.TemporaryDirectory(prefix="tiktok-bench-loading-") as tmp,
        simulator(LOGS / "loading-sim.log") as sim,
        dagster_home() as home,
    ):
        sim.add_key(KEY)
        shops = httpx.get(f"{sim.url}/_sim/world", timeout=30).json()["shops"][: reps + 1]
        with DagsterInstance.from_config(str(home)) as instance:
            instance.add_dynamic_partitions("shop_ids", shops)
        common = {"DAGSTER_HOME": str(home), "WH_API_KEY": KEY, "TIKTOK_API_ORIGIN": sim.url}
        runs = {
            "tiktok_assets shop_total": (
                "tiktok_assets.definitions",
                "shop_total",
                _env(**common, TIKTOK_WAREHOUSE_URL=f"sqlite:///{tmp}/warehouse.sqlite"),
            ),
            "bare asset": (
                "benchmarks.bare_asset",
                "bare_shop_total",
                _env(**common, BENCH_BARE_SQLITE=f"{tmp}/bare.sqlite"),
            ),
        }
        for module, asset, env in runs.values():  # warm-up: tables, migrations, bytecode
            _timed(_materialize(module, asset, f"{shops[0]}|1"), env, timeout)
        seconds: dict[str, list[float]] = {name: [] for name in runs}
        for rep in range(reps):
            order = list(runs) if rep % 2 == 0 else list(reversed(runs))
            for name in order:
                module, asset, env = runs[name]
                command = _materialize(module, asset, f"{shops[rep + 1]}|30")
                seconds[name].append(_timed(command, env, timeout))
        requests = sim.ledger(KEY)["requests"]
    return {
        **_summary(seconds, "bare asset", "tiktok_assets shop_total"),
        "simulator_requests": requests,
        "goal": MATERIALIZE_GOAL,
        "reps": reps,
    }


def run(quick: bool, timeout_scale: float = 1.0) -> Result:
    return {
        "import": measure_imports(5 if quick else 9, 120 * timeout_scale),
        "materialize": measure_materialize(3 if quick else 5, 300 * timeout_scale),
    }


def report(results: Result) -> str:
    lines = []
    rows = []
    for case, base, subject in (
        ("import", "dagster", "tiktok_assets.definitions"),
        ("materialize", "bare asset", "tiktok_assets shop_total"),
    ):
        r = results[case]
        medians = r["median_seconds"]
        verdict = "met" if r["ratio"] <= r["goal"] else "NOT met"
        rows.append(
            [
                case,
                f"{base}: {medians[base]:.2f} s",
                f"{subject}: {medians[subject]:.2f} s",
                f"{r['ratio']:.2f}× (paired {r['median_paired_ratio']:.2f}×)",
                f"≤ {r['goal']}× ({verdict})",
                r["reps"],
            ]
        )
    lines.append(
        table(["case", "baseline (median)", "project (median)", "ratio", "goal", "reps"], rows)
    )
    lines.append(
        f"\npython startup alone: {results['import']['python_startup_seconds']:.2f} s; "
        f"simulator requests in the materialize case: "
        f"{results['materialize']['simulator_requests']} (2 warm-ups + 2 per repetition)"
    )
    return "\n".join(lines)
