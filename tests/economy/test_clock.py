"""One rule for dates: the pinned day (TIKTOK_TODAY) rules, the real clock gives the time of
day. Within one run the journal's day, the snapshot's day, the timestamps and the credit month
all agree, whatever the machine's date (the date-shift check runs this with it moved)."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
import sqlalchemy as sa
from dagster import DagsterInstance

from tests.assets.support import resources, run, table
from tiktok_assets import clock
from tiktok_assets.api import endpoints as ep
from tiktok_assets.assets import product_total
from tiktok_assets.economy.journal import credits_spent, is_fresh
from tiktok_assets.warehouse import Warehouse
from tiktok_assets.warehouse.tables import api_calls


def test_now_is_on_the_pinned_day_at_the_real_time(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TIKTOK_TODAY", "2031-07-04")
    real = dt.datetime.now(dt.UTC)
    now = clock.now()
    assert now.date() == clock.today() == dt.date(2031, 7, 4)
    assert now.tzinfo is not None and now.utcoffset() == dt.timedelta(0)
    seconds = abs(
        dt.datetime.combine(real.date(), now.time()) - dt.datetime.combine(real.date(), real.time())
    )
    assert seconds < dt.timedelta(seconds=5)


def test_unpinned_today_is_the_real_utc_date(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TIKTOK_TODAY")
    assert clock.today() == dt.datetime.now(dt.UTC).date() == clock.now().date()


def test_a_bad_pin_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TIKTOK_TODAY", "24/11/2026")
    with pytest.raises(ValueError, match=r"TIKTOK_TODAY='24/11/2026': must be an ISO date"):
        clock.today()


@pytest.fixture
def instance():
    with DagsterInstance.ephemeral() as inst:
        yield inst


def test_one_run_writes_one_day_everywhere(sim, today, warehouse_url, instance) -> None:
    product = sim.world.product_ids()[0]
    instance.add_dynamic_partitions("product_ids", [product])
    res = resources(sim, warehouse_url)
    assert run([product_total], instance, res, partition_key=f"{product}|7").success

    engine = Warehouse(url=warehouse_url).engine
    with engine.connect() as conn:
        calls = conn.execute(sa.select(api_calls.c.call_date, api_calls.c.called_at)).all()
    assert len(calls) == 1
    call_date, called_at = calls[0]
    assert call_date == today
    assert pd.Timestamp(called_at).date() == today  # the timestamp's date is the pinned day

    stored = table(warehouse_url, "product_total")
    assert list(stored["snapshot_date"]) == [today]
    assert [pd.Timestamp(t).date() for t in stored["fetched_at"]] == [today]

    # The credit month and both kinds of journal freshness count that answer as today's.
    assert credits_spent(engine, today) == 1
    request = ep.build_request(ep.PRODUCT_TOTAL, product, period=7)
    assert is_fresh(engine, request)
    assert is_fresh(engine, request, max_age=dt.timedelta(hours=1))

    # And a re-run the same (pinned) day is served by the journal.
    again = run([product_total], instance, res, partition_key=f"{product}|7")
    assert again.success
    assert credits_spent(engine, today) == 1
