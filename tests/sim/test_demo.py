"""`./scripts/dev`'s demo ids: only from the bundled simulator, never another origin."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
import yaml

from tiktok_assets.sim.demo import DEMO_SHOPS, demo_tracked, is_bundled_sim, main
from tiktok_assets.tracking.seeds import parse_tracked


@pytest.mark.parametrize(
    ("origin", "expected"),
    [
        ("http://127.0.0.1:8787", True),
        ("http://localhost:8787/", True),
        ("http://127.0.0.1:8788", False),
        ("https://127.0.0.1:8787", False),
        ("https://api.vendor.example", False),
        ("http://127.0.0.1:8787.evil.example", False),
        ("http://127.0.0.1:8787/proxy", False),
    ],
)
def test_only_the_bundled_simulator_counts(origin, expected) -> None:
    assert is_bundled_sim(origin, 8787) is expected


def test_writes_the_simulators_first_shops(sim_server, tmp_path) -> None:
    """Over HTTP, from the simulator's `GET /_sim/world`; the file is a valid tracked file."""
    out = tmp_path / "data" / "demo-tracked.yaml"
    port = urlsplit(sim_server.url).port
    assert main([sim_server.url, str(port), str(out)]) == 0
    shops = sim_server.world.shop_ids()[:DEMO_SHOPS]
    assert yaml.safe_load(out.read_text()) == {"shops": shops}
    assert parse_tracked(out.read_text()).ids["shop"] == tuple(shops)
    assert out.read_text() == demo_tracked({"shops": sim_server.world.shop_ids()})


def test_refuses_another_origin_and_writes_nothing(tmp_path, capsys) -> None:
    out = tmp_path / "demo.yaml"
    assert main(["https://api.vendor.example", "8787", str(out)]) == 3
    assert not out.exists()
    assert "not the bundled simulator" in capsys.readouterr().err
