"""Alerts: rules validated with line numbers, firings recorded once, webhook delivery with
retries against a local receiver that fails the first attempts, pending alerts never lost."""

from __future__ import annotations

import datetime as dt
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.analytics.support import history, insert, product_total, read
from tiktok_assets.analytics.alerts import (
    AlertsConfigError,
    AlertSettings,
    load_rules,
    run_alerts,
)
from tiktok_assets.analytics.build import refresh
from tiktok_assets.warehouse import Warehouse
from tiktok_assets.warehouse import tables as t

NOW = dt.datetime(2026, 11, 24, 7, 0, tzinfo=dt.UTC)
PROJECT_FILE = Path(__file__).resolve().parents[2] / "alerts.yaml"


class Receiver:
    """A tiny webhook receiver in a thread: answers 500 to the first `failures` POSTs."""

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.calls = 0
        self.received: list[dict] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.calls += 1
                if receiver.calls <= receiver.failures:
                    self.send_response(500)
                    self.end_headers()
                    return
                receiver.received.append(json.loads(body))
                self.send_response(200)
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver(failures=2)
    yield r
    r.stop()


def _rules(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "alerts.yaml"
    path.write_text(text)
    return path


def test_the_projects_alerts_yaml_is_valid() -> None:
    kinds = {r.kind for r in load_rules(PROJECT_FILE)}
    assert kinds == {"sales_drop", "price_cut", "new_in_top", "creator_promotes"}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "rules:\n  - name: a\n    kind: sales_drop\n    percent: lots\n",
            "alerts.yaml line 4: rule 'a': `percent` must be a number, got 'lots'",
        ),
        ("rules:\n  - name: a\n    kind: nope\n", "line 3: rule 'a': unknown kind 'nope'"),
        ("rules:\n  - name: a\n    kind: sales_drop\n", "line 2: rule 'a': kind sales_drop needs"),
        (
            "rules:\n  - name: a\n    kind: price_cut\n    colour: red\n",
            "line 4: rule 'a': unknown key 'colour'",
        ),
        ("rules:\n  - name: a\n    kind: new_in_top\n    top: 0\n", "line 4: rule 'a': `top` must"),
        (
            "rules:\n  - name: a\n    kind: price_cut\n    ids: [12, abc]\n",
            "line 4: rule 'a': id 'abc' is not 1 to 20 digits",
        ),
        (
            "rules:\n  - {name: a, kind: price_cut}\n  - {name: a, kind: price_cut}\n",
            "line 3: rule name 'a' is used more than once",
        ),
        ("rules: [\n  - name: a\n", "not valid YAML"),
        ("alerts: []\n", "line 1: unknown key 'alerts'"),
    ],
)
def test_an_invalid_file_names_the_line_and_the_problem(tmp_path, text, message) -> None:
    with pytest.raises(AlertsConfigError, match=None) as error:
        load_rules(_rules(tmp_path, text))
    assert message in str(error.value)


def _fill(url: str, today: dt.date) -> None:
    """Product 1's sales halve week over week; product 2's price is cut by 20 %; shop 9's top
    list gains product 3; creator 50 starts promoting product 1."""
    start = today - dt.timedelta(days=14)
    history(url, "1", start, [100.0] * 7 + [50.0] * 7)  # sales 10/day -> 5/day
    history(url, "2", start, [100.0] * 14)
    product_total(url, today, {("1", 7): (350.0, 35), ("2", 7): (700.0, 70)})
    insert(
        url,
        t.product_detail,
        [
            {
                "id": "2",
                "snapshot_date": today - dt.timedelta(days=2),
                "title": "Mug",
                "price": 10.0,
            },
            {"id": "2", "snapshot_date": today, "title": "Mug", "price": 8.0},
        ],
    )
    yesterday = today - dt.timedelta(days=1)
    insert(
        url,
        t.shop_products,
        [
            {"shop_id": "9", "period": 7, "snapshot_date": day, "rank": rank, "product_id": pid}
            for day, pids in ((yesterday, ["1", "2"]), (today, ["3", "1", "2"]))
            for rank, pid in enumerate(pids, start=1)
        ],
    )
    insert(
        url,
        t.video_detail,
        [
            {"id": "v1", "snapshot_date": yesterday, "creator_id": "50", "product_id": "2"},
        ],
    )
    wh = Warehouse(url=url)
    refresh(wh, "creator_product_links", yesterday)
    insert(
        url,
        t.video_detail,
        [
            {"id": "v2", "snapshot_date": today, "creator_id": "50", "product_id": "1"},
        ],
    )
    for name in ("product_movers", "price_changes", "creator_product_links", "product_leaderboard"):
        refresh(wh, name, today)


def test_rules_fire_once_and_are_delivered_after_retries(
    warehouse_url, today, tmp_path, receiver
) -> None:
    _fill(warehouse_url, today)
    settings = AlertSettings(PROJECT_FILE, receiver.url, attempts=3, backoff_seconds=0.0)
    engine = Warehouse(url=warehouse_url).engine

    first = run_alerts(engine, settings, today, NOW)

    kinds = sorted((f.kind, f.entity_id) for f in first.fired)
    assert kinds == [
        ("creator_promotes", "1"),
        ("new_in_top", "3"),
        ("price_cut", "2"),
        ("sales_drop", "1"),
    ]
    assert first.new == 4 and first.delivered == 4 and first.pending == 0
    assert receiver.calls == 6  # two 500s, then four deliveries
    texts = [body["text"] for body in receiver.received]
    assert any("price cut on Mug (2): 10.00 → 8.00 (-20.0 %)" in text for text in texts)
    assert any("7-day sales of 1 down 50.0 %: 35 vs 70" in text for text in texts)
    stored = read(warehouse_url, "alerts")
    assert stored["delivered_at"].notna().all()
    assert sorted(stored["attempts"]) == [1, 1, 1, 3]  # the first one took the retries

    again = run_alerts(engine, settings, today, NOW)  # a re-run: nothing new, nothing sent
    assert again.new == 0 and again.delivered == 0
    assert len(read(warehouse_url, "alerts")) == 4
    assert receiver.calls == 6


def test_an_undelivered_alert_stays_pending_and_is_sent_next_time(
    warehouse_url, today, tmp_path
) -> None:
    _fill(warehouse_url, today)
    rules = _rules(tmp_path, "rules:\n  - name: cut\n    kind: price_cut\n    percent: 10\n")
    engine = Warehouse(url=warehouse_url).engine
    down = Receiver(failures=5)
    try:
        settings = AlertSettings(rules, down.url, attempts=3, backoff_seconds=0.0)
        first = run_alerts(engine, settings, today, NOW)
        assert (first.new, first.delivered, first.pending) == (1, 0, 1)
        row = read(warehouse_url, "alerts").iloc[0]
        assert row["delivered_at"] is None or row.isna()["delivered_at"]
        assert row["last_error"] == "HTTP 500" and row["attempts"] == 3
        assert down.url not in repr(settings) and down.url not in row["last_error"]

        second = run_alerts(engine, settings, today, NOW)  # 2 more failures, then accepted
        assert (second.new, second.delivered, second.pending) == (0, 1, 0)
        assert [body["rule"] for body in down.received] == ["cut"]
        assert read(warehouse_url, "alerts")["delivered_at"].notna().all()
    finally:
        down.stop()


def test_without_webhook_alerts_are_recorded_pending(warehouse_url, today) -> None:
    _fill(warehouse_url, today)
    summary = run_alerts(
        Warehouse(url=warehouse_url).engine, AlertSettings(PROJECT_FILE, None), today, NOW
    )
    assert summary.new == 4 and summary.pending == 4 and summary.delivered == 0


def test_an_invalid_file_fails_and_changes_nothing(warehouse_url, today, tmp_path) -> None:
    _fill(warehouse_url, today)
    engine = Warehouse(url=warehouse_url).engine
    bad = _rules(tmp_path, "rules:\n  - name: cut\n    kind: price_cut\n    percent: -3\n")
    with pytest.raises(AlertsConfigError, match="line 4: rule 'cut': `percent` must be 0 to 100"):
        run_alerts(engine, AlertSettings(bad, None), today, NOW)
    with engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(t.alerts)).scalar_one() == 0


def test_the_alerts_asset_reports_and_fails_on_an_invalid_file(
    warehouse_url, today, tmp_path, monkeypatch
) -> None:
    from dagster import materialize

    from tiktok_assets.analytics.assets import alerts

    _fill(warehouse_url, today)
    monkeypatch.delenv("TIKTOK_ALERT_WEBHOOK_URL", raising=False)
    monkeypatch.setenv("TIKTOK_ALERTS_FILE", str(PROJECT_FILE))
    res = {"warehouse": Warehouse(url=warehouse_url)}
    ok = materialize([alerts], resources=res)
    [event] = ok.get_asset_materialization_events()
    metadata = event.materialization.metadata
    assert (metadata["new"].value, metadata["pending"].value) == (4, 4)
    assert "recorded only" in metadata["preview"].value

    monkeypatch.setenv("TIKTOK_ALERTS_FILE", str(_rules(tmp_path, "rules:\n  - name: x\n")))
    failed = materialize([alerts], resources=res, raise_on_error=False)
    assert not failed.success
    [failure] = [e for e in failed.all_events if e.is_step_failure]
    assert "line 2: rule without `kind`" in failure.step_failure_data.error.cause.message
