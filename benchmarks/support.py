"""What the benchmarks share: the simulator process, cases run as child processes bounded in
time, temporary Dagster instances and warehouses, resources, and result formatting."""

from __future__ import annotations

import bisect
import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
LOGS = RESULTS / "logs"
PYTHON = sys.executable
HOST = "127.0.0.1"

Params = dict[str, Any]
Result = dict[str, Any]

WORLD = {"seed": 7, "shops": 20, "products_per_shop": [25, 30], "creators": 10, "videos": 10}
"""The simulator's world in every benchmark: 545 products in 20 shops."""


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def wait_until(check: Callable[[], bool], *, timeout: float, every: float = 0.2) -> bool:
    """Poll `check` until it is true or `timeout` seconds pass; return its last answer."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if check():
                return True
        except (httpx.HTTPError, OSError):
            pass
        time.sleep(every)
    return False


def stop_process(proc: subprocess.Popen[Any], *, grace: float = 10.0) -> None:
    """SIGTERM the process group we started (`start_new_session`), then SIGKILL after `grace`."""
    if proc.poll() is not None:
        return
    for sig, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, 5.0)):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, sig)
        try:
            proc.wait(timeout=wait)
            return
        except subprocess.TimeoutExpired:
            continue


class Sim:
    """The simulator running in its own process (`benchmarks.simserver`)."""

    def __init__(self, url: str, proc: subprocess.Popen[Any], keys: dict[str, None]) -> None:
        self.url = url
        self.proc = proc
        self._keys = keys
        self._http = httpx.Client(base_url=url, timeout=30)

    def add_key(self, key: str) -> str:
        """Accept one more API key (each case uses its own: its own rate window and ledger)."""
        self._keys[key] = None
        self.configure(api_keys=self._keys)
        return key

    def configure(self, **changes: Any) -> None:
        response = self._http.post("/_sim/config", json=changes)
        response.raise_for_status()

    def ledger(self, key: str) -> dict[str, Any]:
        """The simulator's accounting for `key`: requests, 429s, credits."""
        keys = self._http.get("/_sim/ledger").json()["keys"]
        empty = {"requests": 0, "credits_used": 0, "rate_limited": 0, "responses": {}}
        return dict(keys.get(key, empty))

    def arrivals(self, key: str) -> list[tuple[float, bool]]:
        """(wall time, admitted) of each request of `key` that reached the rate limiter."""
        return [(t, ok) for t, ok in self._http.get("/_bench/arrivals", params={"key": key}).json()]

    def close(self) -> None:
        self._http.close()
        stop_process(self.proc)


@contextlib.contextmanager
def simulator(log: Path, **config: Any) -> Iterator[Sim]:
    """Serve the simulator with `config` (plus `WORLD`) on a free port until the block ends."""
    keys: dict[str, None] = {}
    full = {**WORLD, "api_keys": {"bench-probe": None}, **config}
    keys.update(full["api_keys"])
    port = free_port()
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("ab") as out:
        proc = subprocess.Popen(
            [
                PYTHON,
                "-m",
                "benchmarks.simserver",
                "--port",
                str(port),
                "--config",
                json.dumps(full),
            ],
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    url = f"http://{HOST}:{port}"
    sim = Sim(url, proc, keys)
    try:
        if not wait_until(
            lambda: httpx.get(f"{url}/_sim/health", timeout=1).status_code == 200, timeout=30
        ):
            raise RuntimeError(f"the simulator did not start (see {log})")
        yield sim
    finally:
        sim.close()


def run_case(
    module: str,
    case: str,
    params: Params,
    *,
    timeout: float,
    env: Mapping[str, str] | None = None,
) -> Result:
    """Run `benchmarks.<module>.CASES[case](params)` in a child process, at most `timeout` s.

    The child writes its result as JSON; a timeout or a crash becomes `{"error": ...}`.
    """
    LOGS.mkdir(parents=True, exist_ok=True)
    log = LOGS / f"{module}-{case}.log"
    with tempfile.TemporaryDirectory(prefix="tiktok-bench-") as tmp:
        out = Path(tmp) / "result.json"
        child_env = {**os.environ, "PYTHONUNBUFFERED": "1", "BENCH_TMP": tmp, **(env or {})}
        started = time.monotonic()
        with log.open("wb") as sink:
            proc = subprocess.Popen(
                [PYTHON, "-m", "benchmarks.child", module, case, json.dumps(params), str(out)],
                cwd=ROOT,
                env=child_env,
                stdout=sink,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
            try:
                proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                stop_process(proc)
                return {"error": f"timed out after {timeout:.0f} s (log: {log})"}
            finally:
                stop_process(proc)
        elapsed = time.monotonic() - started
        if proc.returncode != 0 or not out.exists():
            tail = log.read_text(errors="replace").strip().splitlines()[-3:]
            return {"error": f"exit {proc.returncode}: {' | '.join(tail)} (log: {log})"}
        result: Result = json.loads(out.read_text())
        result.setdefault("process_seconds", round(elapsed, 2))
        return result


INSTANCE_YAML = {
    "sqlite": ROOT / "dagster_home" / "dagster.yaml",
    "postgres": ROOT / "deploy" / "dagster.yaml",
}
"""The project's instance configurations: the embedded default and the production one."""


@contextlib.contextmanager
def dagster_home(storage: str = "sqlite") -> Iterator[Path]:
    """A fresh DAGSTER_HOME with one of the project's `dagster.yaml` files (`INSTANCE_YAML`).

    `postgres` reads its database from the `DAGSTER_POSTGRES_*` variables (see
    `postgres_database`).
    """
    base = Path(os.environ.get("BENCH_TMP") or tempfile.gettempdir())
    home = Path(tempfile.mkdtemp(prefix="dagster-home-", dir=base))
    shutil.copy(INSTANCE_YAML[storage], home / "dagster.yaml")
    try:
        yield home
    finally:
        shutil.rmtree(home, ignore_errors=True)


POSTGRES_URL_ENV = "TIKTOK_TEST_POSTGRES_URL"
DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


@contextlib.contextmanager
def postgres_database() -> Iterator[dict[str, str] | None]:
    """A fresh PostgreSQL database for a Dagster instance, dropped afterwards.

    Yields the `DAGSTER_POSTGRES_*` variables `deploy/dagster.yaml` reads, or None when no
    server answers at `TIKTOK_TEST_POSTGRES_URL` (default: 127.0.0.1:5432, as the tests).
    """
    import sqlalchemy as sa
    from sqlalchemy.engine import make_url

    server = make_url(os.environ.get(POSTGRES_URL_ENV) or DEFAULT_POSTGRES_URL)
    try:
        socket.create_connection((server.host or HOST, server.port or 5432), timeout=2).close()
    except OSError:
        yield None
        return
    name = f"tk_bench_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(server, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield {
            "DAGSTER_POSTGRES_HOST": server.host or HOST,
            "DAGSTER_POSTGRES_PORT": str(server.port or 5432),
            "DAGSTER_POSTGRES_USER": server.username or "postgres",
            "DAGSTER_POSTGRES_PASSWORD": server.password or "",
            "DAGSTER_POSTGRES_DB": name,
        }
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


def sqlite_url(name: str) -> str:
    """A SQLite warehouse URL in this case's temporary folder."""
    base = Path(os.environ.get("BENCH_TMP") or tempfile.mkdtemp(prefix="tiktok-bench-"))
    return f"sqlite:///{base / name}"


def api_resources(
    url: str, key: str, warehouse_url: str, *, rate_per_minute: int = 0, **api: Any
) -> dict[str, Any]:
    """The three resources of the API assets, pointed at the simulator."""
    from tiktok_assets.api.resource import TikTokShopAPI
    from tiktok_assets.economy import CreditBudgetResource
    from tiktok_assets.warehouse import Warehouse

    return {
        "api": TikTokShopAPI(api_key=key, origin=url, rate_per_minute=rate_per_minute, **api),
        "warehouse": Warehouse(url=warehouse_url),
        "credit_budget": CreditBudgetResource(monthly_credit_limit=10_000_000),
    }


def product_ids(count: int) -> list[str]:
    """The first `count` product ids of the benchmarks' world."""
    from tiktok_assets.sim import SimConfig, World

    ids = World.from_config(SimConfig(**WORLD)).product_ids()
    if count > len(ids):
        raise ValueError(f"the world has {len(ids)} products, not {count}")
    return ids[:count]


def steady_rate(arrivals: Sequence[tuple[float, bool]], limit: int) -> dict[str, Any]:
    """How fully admitted requests used a rolling limit of `limit` per 60 s.

    - `sustained`: each request past the first `limit` needs the slot of the request `limit`
      before it, free 60 s after that one; `limit × 60 / mean(t[i] - t[i - limit])` is the
      rate the client sustains once the first window is spent (the long-run rate).
    - `overall`: `(admitted - limit)` requests over the span from the first to the last one,
      which also counts how slowly the first window's requests went out
      (`first_window_seconds`: from the first to the `limit`-th request).
    Shares are of `limit`; 1.0 is the ceiling (a 0.5 s safety margin makes it 99.2%).
    """
    times = sorted(t for t, ok in arrivals if ok)
    out: dict[str, Any] = {"admitted": len(times)}
    if len(times) <= limit or limit <= 0:
        return out
    gaps = [times[i] - times[i - limit] for i in range(limit, len(times))]
    sustained = limit * 60.0 / (sum(gaps) / len(gaps))
    span = times[-1] - times[0]
    overall = (len(times) - limit) / span * 60.0
    busiest = max(bisect.bisect_left(times, t + 60.0) - i for i, t in enumerate(times))
    return {
        **out,
        "span_seconds": round(span, 2),
        "first_window_seconds": round(times[limit - 1] - times[0], 2),
        "sustained_per_minute": round(sustained, 2),
        "sustained_share": round(sustained / limit, 4),
        "overall_per_minute": round(overall, 2),
        "overall_share": round(overall / limit, 4),
        "busiest_60s_window": busiest,
    }


def fmt(value: Any, digits: int = 2) -> str:
    """A table cell."""
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:,.{digits}f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A Markdown table."""
    cells = [[fmt(c) for c in row] for row in rows]
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join(" --- " for _ in headers) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in cells]
    return "\n".join(lines)
