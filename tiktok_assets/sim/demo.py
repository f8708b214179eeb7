"""Demo data for `./scripts/dev`: track a few of the bundled simulator's shops, so that a
first session shows rows and leaderboards within minutes.

`python -m tiktok_assets.sim.demo ORIGIN SIM_PORT OUT` waits for the simulator at ORIGIN,
reads its ids (`GET /_sim/world`) and writes a tracked-ids file with its first
`DEMO_SHOPS` shops to OUT. It refuses (exit 3, nothing written) unless ORIGIN is the bundled
simulator on 127.0.0.1:SIM_PORT that `./scripts/dev` started: demo automation must never run
against the vendor's API with a real key.
"""

from __future__ import annotations

import json
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

DEMO_SHOPS = 3
WAIT_SECONDS = 30.0


def is_bundled_sim(origin: str, sim_port: int) -> bool:
    """Whether `origin` is the simulator `./scripts/dev` serves on this machine."""
    parts = urlsplit(origin.strip())
    try:
        port = parts.port or 80
    except ValueError:  # not a port number
        return False
    return (
        parts.scheme == "http"
        and parts.hostname in ("127.0.0.1", "localhost")
        and port == sim_port
        and parts.path in ("", "/")
    )


def demo_tracked(world: dict[str, list[str]], shops: int = DEMO_SHOPS) -> str:
    """The tracked-ids YAML for the first `shops` shops of the simulator's world."""
    ids = [str(i) for i in world.get("shops", [])[:shops]]
    lines = [
        "# Written by ./scripts/dev (tiktok_assets.sim.demo): demo shops of the bundled",
        "# simulator. Not used against the vendor's API.",
        "shops:",
        *(f'  - "{i}"' for i in ids),
    ]
    return "\n".join(lines) + "\n"


def fetch_world(origin: str, wait_seconds: float = WAIT_SECONDS) -> dict[str, list[str]]:
    """`GET /_sim/world`, retried while the simulator starts."""
    deadline = time.monotonic() + wait_seconds
    url = origin.rstrip("/") + "/_sim/world"
    while True:
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                return json.loads(response.read())
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            if time.monotonic() > deadline:
                raise
            time.sleep(0.3)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 3:
        print("usage: python -m tiktok_assets.sim.demo ORIGIN SIM_PORT OUT", file=sys.stderr)
        return 2
    origin, port, out = args[0], int(args[1]), Path(args[2])
    if not is_bundled_sim(origin, port):
        print(f"demo: {origin} is not the bundled simulator: no demo ids", file=sys.stderr)
        return 3
    text = demo_tracked(fetch_world(origin))
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text)
    print(f"demo: tracking {text.count('  - ')} simulator shops ({out})", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
