"""Run the `date_sensitive` tests with the clock moved and compare each outcome with the
real-clock run (see scripts/date-shift). Exit 1 when any outcome changes."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from pathlib import Path

SHIFTS = (
    # Starts a minute before midnight: the run crosses a day, a month and a year boundary.
    "2026-12-31 23:59:00",
    # A leap day that turns into March during the run.
    "2028-02-29 23:59:30",
)
MARKER = "date_sensitive"


def outcomes(junit: Path) -> dict[str, str]:
    """`{test id: passed|failed|error|skipped}` of a JUnit XML report."""
    results: dict[str, str] = {}
    for case in ET.parse(junit).getroot().iter("testcase"):
        test_id = f"{case.get('classname')}::{case.get('name')}"
        kinds = {child.tag for child in case}
        if "error" in kinds:
            results[test_id] = "error"
        elif "failure" in kinds:
            results[test_id] = "failed"
        elif "skipped" in kinds:
            results[test_id] = "skipped"
        else:
            results[test_id] = "passed"
    return results


def run_pytest(junit: Path, fake_start: str | None) -> None:
    command = [sys.executable, "-m", "pytest", "-q", "-m", MARKER, "-p", "no:cacheprovider"]
    command += [f"--junitxml={junit}", "-o", "junit_family=xunit2", "--no-header", "-rfE"]
    if fake_start is not None:
        # An offset from the real clock, the same for every process the tests start (a
        # `faketime DATE` start time would restart each new process's clock at DATE, and
        # processes sharing the rate limiter would disagree on what time it is).
        start = dt.datetime.fromisoformat(fake_start).replace(tzinfo=dt.UTC)
        offset = int((start - dt.datetime.now(dt.UTC)).total_seconds())
        command = ["faketime", "-f", f"{offset:+d}", *command]
    print(f"date-shift: {'clock at ' + fake_start if fake_start else 'real clock'}", flush=True)
    subprocess.run(command, check=False, env=os.environ.copy())


def main(argv: list[str]) -> int:
    work = Path(tempfile.mkdtemp(prefix="date-shift-"))
    if argv:
        baseline = outcomes(Path(argv[0]))
    else:
        run_pytest(work / "real.xml", None)
        baseline = outcomes(work / "real.xml")
    changed: list[str] = []
    checked = 0
    for start in SHIFTS:
        report = work / f"shift-{start[:10]}.xml"
        run_pytest(report, start)
        shifted = outcomes(report)
        checked = max(checked, len(shifted))
        if not shifted:
            changed.append(f"clock at {start}: no date-sensitive test ran")
        for test_id, outcome in sorted(shifted.items()):
            before = baseline.get(test_id)
            if before is None:
                changed.append(f"clock at {start}: {test_id} is not in the real-clock run")
            elif outcome != before:
                changed.append(f"clock at {start}: {test_id} {before} -> {outcome}")
    if changed:
        print("date-shift: outcomes changed with the clock moved:", *changed, sep="\n  ")
        return 1
    print(f"date-shift: {checked} date-sensitive test(s), same outcome at {len(SHIFTS)} dates")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
