"""A production-shaped deployment on this machine: the code server, the webserver and the daemon
as separate processes sharing `deploy/dagster.yaml` on PostgreSQL, talked to over GraphQL."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from tests.conftest import KEY, TODAY

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
BIN = Path(sys.executable).parent
WORKSPACE = DEPLOY / "workspace.yaml"
LOCATION = "tiktok_assets"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def project_env(
    home: Path, instance_env: Mapping[str, str], *, sim_url: str, warehouse_url: str, **extra: str
) -> dict[str, str]:
    """The processes' environment: nothing of the caller's Dagster or project settings, the
    instance at `home` on `instance_env`, the project on the simulator and `warehouse_url`,
    and `extra` (`TIKTOK_*` names)."""
    return {
        **{k: v for k, v in os.environ.items() if not k.startswith(("DAGSTER_", "TIKTOK_"))},
        **instance_env,
        "DAGSTER_HOME": str(home),
        "WH_API_KEY": KEY,
        "TIKTOK_API_ORIGIN": sim_url,
        "TIKTOK_WAREHOUSE_URL": warehouse_url,
        "TIKTOK_TODAY": TODAY.isoformat(),
        "TIKTOK_API_RATE_PER_MINUTE": "0",
        **extra,
    }


def dagster_home(path: Path) -> Path:
    """A DAGSTER_HOME holding the production instance config, as a deployment would."""
    path.mkdir(parents=True, exist_ok=True)
    shutil.copy(DEPLOY / "dagster.yaml", path / "dagster.yaml")
    return path


@dataclass
class Process:
    """A child process in its own session (so its run workers can be stopped with it)."""

    name: str
    popen: subprocess.Popen[bytes]
    log: Path

    def tail(self, lines: int = 40) -> str:
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        last = "\n".join(text.splitlines()[-lines:])
        return f"--- {self.name} (exit code {self.popen.poll()}) ---\n{last}"

    def stop(self) -> None:
        """SIGTERM to the process group, SIGKILL to what is left after 10 s."""
        if self.popen.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.popen.pid, signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.popen.wait(timeout=10)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.popen.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.popen.wait(timeout=5)


@dataclass
class Deployment:
    """The running processes; `graphql` talks to the webserver as the UI does."""

    env: Mapping[str, str]
    logs: Path
    url: str = ""
    processes: list[Process] = field(default_factory=list)

    def spawn(self, name: str, args: list[str]) -> Process:
        log = self.logs / f"{name}.log"
        with log.open("wb") as out:
            popen = subprocess.Popen(
                args,
                cwd=ROOT,
                env=dict(self.env),
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        process = Process(name, popen, log)
        self.processes.append(process)
        return process

    def start_daemon(self) -> None:
        """The daemon: run queue, backfills, sensors, schedules, run monitoring."""
        self.spawn("daemon", [str(BIN / "dagster-daemon"), "run", "-w", str(WORKSPACE)])

    def output(self) -> str:
        return "\n".join(p.tail() for p in self.processes)

    def check_alive(self) -> None:
        dead = [p.name for p in self.processes if p.popen.poll() is not None]
        if dead:
            raise AssertionError(f"{', '.join(dead)} exited\n{self.output()}")

    def wait_until(self, ready: Callable[[], bool], what: str, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.check_alive()
            with contextlib.suppress(httpx.HTTPError, OSError):
                if ready():
                    return
            time.sleep(0.5)
        raise AssertionError(f"{what}: not ready after {timeout:.0f} s\n{self.output()}")

    def graphql(self, query: str, variables: Mapping[str, Any] | None = None) -> dict[str, Any]:
        response = httpx.post(
            f"{self.url}/graphql",
            json={"query": query, "variables": dict(variables or {})},
            timeout=60,
        )
        try:
            body = response.json()
        except ValueError:
            body = {}
        if response.status_code != 200 or body.get("errors"):
            errors = body.get("errors") or body or response.text[:2000]
            raise AssertionError(f"GraphQL answered {response.status_code}: {errors}")
        return body["data"]


def _accepts(port: int) -> bool:
    with socket.create_connection(("127.0.0.1", port), timeout=1):
        return True


WORKSPACE_QUERY = """
query {
  workspaceOrError {
    ... on Workspace {
      locationEntries {
        name
        loadStatus
        locationOrLoadError { __typename ... on PythonError { message } }
      }
    }
  }
}
"""


def _location_loaded(deployment: Deployment) -> bool:
    data = deployment.graphql(WORKSPACE_QUERY)["workspaceOrError"]
    entry = {e["name"]: e for e in data.get("locationEntries", [])}.get(LOCATION)
    if entry is None or entry["loadStatus"] != "LOADED":
        return False
    loaded = entry["locationOrLoadError"] or {}
    if loaded.get("__typename") == "PythonError":
        raise AssertionError(f"the code location failed to load: {loaded['message']}")
    return loaded.get("__typename") == "RepositoryLocation"


@contextlib.contextmanager
def running_deployment(
    env: Mapping[str, str], logs: Path, timeout: float = 90
) -> Iterator[Deployment]:
    """The code server, then the webserver on `deploy/workspace.yaml` (the caller starts the
    daemon when it wants it); every process and run worker is stopped on the way out."""
    logs.mkdir(parents=True, exist_ok=True)
    code_port, web_port = free_port(), free_port()
    env = {
        **env,
        "TIKTOK_CODE_SERVER_HOST": "127.0.0.1",
        "TIKTOK_CODE_SERVER_PORT": str(code_port),
        "PYTHONUNBUFFERED": "1",
    }
    deployment = Deployment(env=env, logs=logs, url=f"http://127.0.0.1:{web_port}")
    try:
        deployment.spawn(
            "code-server",
            [
                *(str(BIN / "dagster"), "api", "grpc", "-m", "tiktok_assets.definitions"),
                *("-h", "127.0.0.1", "-p", str(code_port), "--location-name", LOCATION),
            ],
        )
        # The code server binds its port once the definitions are loaded.
        deployment.wait_until(lambda: _accepts(code_port), "the code server", timeout)
        deployment.spawn(
            "webserver",
            [
                *(str(BIN / "dagster-webserver"), "-w", str(WORKSPACE)),
                *("-h", "127.0.0.1", "-p", str(web_port)),
            ],
        )
        deployment.wait_until(lambda: _location_loaded(deployment), "the code location", timeout)
        yield deployment
    finally:
        for process in reversed(deployment.processes):
            process.stop()
