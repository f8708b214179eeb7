"""`python -m benchmarks [--quick] [--only NAME ...]`: run the benchmarks, print and save results.

Every benchmark runs from this one process tree, one after the other, so that they share the
machine's conditions; each case runs in a child process killed at its deadline. Results are
printed as Markdown tables and written to `benchmarks/results/run-<UTC time>.json`; a full
run (neither `--quick` nor `--only`) also writes `benchmarks/results/summary.json`.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib
import json
import os
import platform
import sys
import time
import traceback
from typing import Any

from benchmarks.support import RESULTS

BENCHMARKS = (
    "batching",
    "rate",
    "peer",
    "scale",
    "coverage",
    "analytics",
    "month",
    "reach",
    "loading",
    "instance",
)


def _machine() -> dict[str, Any]:
    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="smaller sizes (a few minutes)")
    parser.add_argument(
        "--only", action="append", choices=BENCHMARKS, help="run only this benchmark (repeatable)"
    )
    parser.add_argument(
        "--timeout-scale", type=float, default=1.0, help="multiply every case's time limit"
    )
    args = parser.parse_args(argv)
    selected = args.only or list(BENCHMARKS)
    now = dt.datetime.now(dt.UTC)
    os.environ.setdefault("TIKTOK_TODAY", now.date().isoformat())
    summary: dict[str, Any] = {
        "date": now.isoformat(timespec="seconds"),
        "quick": args.quick,
        "machine": _machine(),
    }
    failed = False
    started = time.monotonic()
    for name in selected:
        module = importlib.import_module(f"benchmarks.{name}")
        print(f"\n## {name}", flush=True)
        t0 = time.monotonic()
        try:
            results = module.run(args.quick, args.timeout_scale)
        except Exception:  # one broken benchmark must not hide the others' results
            failed = True
            results = {"error": traceback.format_exc(limit=5)}
            print(results["error"], file=sys.stderr)
        else:
            print(module.report(results), flush=True)
            failed = failed or _has_error(results)
        results["benchmark_seconds"] = round(time.monotonic() - t0, 1)
        summary[name] = results
    summary["total_seconds"] = round(time.monotonic() - started, 1)
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = now.strftime("%Y%m%dT%H%M%SZ")
    paths = [RESULTS / f"run-{stamp}{'-quick' if args.quick else ''}.json"]
    if not args.quick and not args.only:
        paths.append(RESULTS / "summary.json")
    for path in paths:
        path.write_text(json.dumps(summary, indent=2, default=str) + "\n")
    print(f"\ntotal {summary['total_seconds']:.0f} s; results: {', '.join(map(str, paths))}")
    return 1 if failed else 0


def _has_error(value: Any) -> bool:
    if isinstance(value, dict):
        return "error" in value or any(_has_error(v) for v in value.values())
    return False


if __name__ == "__main__":
    raise SystemExit(main())
