"""The `api_credit_spend` asset and its budget check, materialized on a temporary instance."""

from __future__ import annotations

import datetime as dt

import dagster as dg
import pytest
import sqlalchemy as sa

from tests.economy.fakes import SHOP, call
from tiktok_assets.api import endpoints as ep
from tiktok_assets.economy import CreditBudgetResource, economy_assets, economy_checks
from tiktok_assets.economy.assets import budget_check_result, spend_summary
from tiktok_assets.economy.budget import BudgetSettings
from tiktok_assets.economy.journal import SqlRequestJournal
from tiktok_assets.warehouse.resource import Warehouse

REQUEST = ep.build_request(ep.SHOP_TOTAL, SHOP, period=30)


@pytest.fixture
def spent(engine: sa.Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    """8 credits in February, then 3 on March 9 and 2 (+1 hit, 1 error) on March 10."""
    journal = SqlRequestJournal(engine, run_id="r")
    for day, paid in (("2026-02-27", 8), ("2026-03-09", 3), ("2026-03-10", 2)):
        monkeypatch.setenv("TIKTOK_TODAY", day)
        for _ in range(paid):
            journal.record(call(REQUEST))
    journal.lookup(REQUEST)
    journal.record(call(REQUEST, status=500, body=None, error="HTTP 500"))


def test_spend_asset_materializes_with_its_metadata(
    engine: sa.Engine, warehouse_url: str, spent: None
) -> None:
    result = dg.materialize(
        [*economy_assets, *economy_checks],
        instance=dg.DagsterInstance.ephemeral(),
        resources={
            "warehouse": Warehouse(url=warehouse_url),
            "credit_budget": CreditBudgetResource(monthly_credit_limit=6, credit_reserve=1),
        },
    )
    assert result.success
    (materialization,) = result.asset_materializations_for_node("api_credit_spend")
    meta = {key: value.value for key, value in materialization.metadata.items()}
    assert meta["credits_this_month"] == 5
    assert meta["credits_today"] == 2
    assert meta["credits_remaining"] == 0
    assert (meta["monthly_credit_limit"], meta["credit_reserve"]) == (6, 1)
    assert (meta["requests_this_month"], meta["cache_hits_this_month"]) == (6, 1)
    assert meta["errors_this_month"] == 1
    assert meta["month_resets_on"] == "2026-04-01"
    table = meta["spend_by_day"]
    assert [c.name for c in table.schema.columns] == [
        "date",
        "requests",
        "credits",
        "cache_hits",
        "errors",
    ]
    assert [r.data for r in table.records] == [
        {"date": "2026-02-27", "requests": 8, "credits": 8, "cache_hits": 0, "errors": 0},
        {"date": "2026-03-09", "requests": 3, "credits": 3, "cache_hits": 0, "errors": 0},
        {"date": "2026-03-10", "requests": 3, "credits": 2, "cache_hits": 1, "errors": 1},
    ]
    (check,) = result.get_asset_check_evaluations()
    assert check.check_name == "credit_budget_check"
    assert not check.passed and check.severity == dg.AssetCheckSeverity.ERROR


@pytest.mark.parametrize(
    ("limit", "reserve", "passed", "severity"),
    [
        (100, 0, True, None),  # 5 of 100
        (6, 0, False, dg.AssetCheckSeverity.WARN),  # 5 > 80% of 6
        (6, 1, False, dg.AssetCheckSeverity.ERROR),  # the usable 5 are spent
        (5, 0, False, dg.AssetCheckSeverity.ERROR),
    ],
)
def test_budget_check_levels(
    engine: sa.Engine,
    spent: None,
    limit: int,
    reserve: int,
    passed: bool,
    severity: dg.AssetCheckSeverity | None,
) -> None:
    summary = spend_summary(engine, BudgetSettings(limit, reserve), dt.date(2026, 3, 10))
    result = budget_check_result(summary)
    assert result.passed is passed
    if severity is not None:
        assert result.severity == severity
    assert result.metadata["credits_this_month"].value == 5
