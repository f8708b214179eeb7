"""`tiktok-assets track` and `untrack` against the instance at DAGSTER_HOME."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from dagster import DagsterInstance

from tiktok_assets.cli import main


@pytest.fixture
def dagster_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "dagster_home"
    home.mkdir()
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    monkeypatch.setenv("TIKTOK_TRACKED_FILE", str(tmp_path / "tracked.yaml"))
    return home


def tracked(name: str) -> list[str]:
    with DagsterInstance.get() as instance:
        return list(instance.get_dynamic_partitions(name))


def test_track_adds_new_ids_once(dagster_home: Path, capsys: pytest.CaptureFixture) -> None:
    assert main(["track", "shop", "123", "456"]) == 0
    out = capsys.readouterr().out
    assert "added 2 shop id(s) to shop_ids: 123, 456" in out
    assert "shop_detail_job, shop_period_job" in out
    assert main(["track", "shop", "456", "789"]) == 0
    out = capsys.readouterr().out
    assert "added 1 shop id(s) to shop_ids: 789" in out
    assert "already tracked (1): 456" in out
    assert tracked("shop_ids") == ["123", "456", "789"]


def test_one_invalid_id_refuses_the_command_and_adds_nothing(
    dagster_home: Path, capsys: pytest.CaptureFixture
) -> None:
    assert main(["track", "video", "123", "12a", "123456789012345678901"]) == 2
    err = capsys.readouterr().err
    assert "2 invalid id(s): video '12a', video '123456789012345678901'" in err
    assert "nothing was added" in err
    assert tracked("video_ids") == []


def test_untrack_removes_ids_and_warns_about_the_seed_file(
    dagster_home: Path, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    (tmp_path / "tracked.yaml").write_text("products: ['11']\n")
    assert main(["track", "product", "11", "12"]) == 0
    capsys.readouterr()
    assert main(["untrack", "product", "11", "99"]) == 0
    out = capsys.readouterr().out
    assert "removed 1 product id(s) from product_ids: 11" in out
    assert "not tracked (1): 99" in out
    assert "11 still listed in" in out
    assert tracked("product_ids") == ["12"]
    assert main(["untrack", "product", "x"]) == 2


def test_without_dagster_home_the_command_says_so(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    assert main(["track", "creator", "1"]) == 2
    assert "Set DAGSTER_HOME" in capsys.readouterr().err


def test_unknown_entity_is_a_usage_error(dagster_home: Path) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["track", "shops", "1"])
    assert exit_info.value.code == 2


@pytest.mark.e2e
def test_the_console_script(dagster_home: Path) -> None:
    script = Path(sys.executable).with_name("tiktok-assets")
    env = dict(os.environ)
    done = subprocess.run(
        [str(script), "track", "shop", "123"], capture_output=True, text=True, env=env, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert "added 1 shop id(s) to shop_ids: 123" in done.stdout
    assert tracked("shop_ids") == ["123"]
