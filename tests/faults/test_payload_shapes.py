"""Answers whose shape drifts: fields the vendor added (kept in `raw`, ignored by the columns) and
optional fields left out (NULL columns). Neither is an error. The journal serves the day's answer
to a same-day re-run; a forced refresh after the drift is gone gives exactly a clean run's data."""

from __future__ import annotations

import pytest

from tests.assets.support import resources, run
from tests.conftest import KEY
from tests.faults.support import (
    FAST,
    assert_same_data,
    cache_hits,
    clean_run,
    failure_message,
    journal,
    paid,
    rows,
)
from tiktok_assets.assets import creator_total, shop_detail
from tiktok_assets.names import FORCE_REFRESH_TAG
from tiktok_assets.sim.app import EXTRA_FIELDS

OPTIONAL = {"shop_detail": ("logo", "rating", "country"), "creator_total": ("followers",)}
"""The fields the simulator leaves out with `drop_optional_fields` (see `sim/app.py`)."""


def _expected(fault: str, table: str, clean_row: dict) -> dict:
    row = dict(clean_row)
    if fault == "extra_fields":
        row["raw"] = {**row["raw"], **EXTRA_FIELDS}
    else:
        row["raw"] = {k: v for k, v in row["raw"].items() if k not in OPTIONAL[table]}
        row.update(dict.fromkeys(OPTIONAL[table]))
    return row


@pytest.mark.parametrize("fault", ["extra_fields", "drop_optional_fields"])
def test_drifting_fields_are_stored_as_sent_and_a_forced_refresh_converges(
    fault, sim, today, warehouse_url, reference_url, instance
) -> None:
    shop, creator = sim.world.shop_ids()[0], sim.world.creator_ids()[0]
    instance.add_dynamic_partitions("shop_ids", [shop])
    instance.add_dynamic_partitions("creator_ids", [creator])
    parts = {"shop_detail": (shop_detail, shop), "creator_total": (creator_total, f"{creator}|30")}
    clean = {
        name: clean_run(sim, instance, reference_url, [asset], partition_key=key)
        for name, (asset, key) in parts.items()
    }
    assert all(c.credits == 1 for c in clean.values())

    sim.configure(**{fault: True})
    res = resources(sim, warehouse_url, **FAST)
    for name, (asset, key) in parts.items():
        result = run([asset], instance, res, partition_key=key)
        assert result.success, failure_message(result)
        assert all(c.passed for c in result.get_asset_check_evaluations())
        expected = [_expected(fault, name, r) for r in clean[name].tables[name]]
        assert rows(warehouse_url, name) == expected
    bodies = paid(journal(warehouse_url))["body"]
    for body in bodies:
        if fault == "extra_fields":
            assert body["data"]["new_field"] == EXTRA_FIELDS["new_field"]
        else:
            assert not {"logo", "rating", "country", "followers"} & set(body["data"])
    assert sim.ledger(KEY)["credits_used"] == 2

    # The drift is gone, the same day: the journal still serves the day's answers, free.
    sim.configure(**{fault: False})
    for name, (asset, key) in parts.items():
        again = run([asset], instance, res, partition_key=key)
        assert again.success and cache_hits(again, warehouse_url) == 1
        assert rows(warehouse_url, name) == [
            _expected(fault, name, r) for r in clean[name].tables[name]
        ]
    assert sim.ledger(KEY)["credits_used"] == 2

    # A forced refresh pays once more per partition and replaces the rows with a clean answer.
    for name, (asset, key) in parts.items():
        forced = run([asset], instance, res, partition_key=key, tags={FORCE_REFRESH_TAG: "true"})
        assert forced.success and cache_hits(forced, warehouse_url) == 0
        assert_same_data(warehouse_url, clean[name])
    assert sim.ledger(KEY)["credits_used"] == 4
