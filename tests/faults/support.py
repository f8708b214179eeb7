"""Helpers of the fault suite: a clean reference run, table contents to compare, the journal,
and the text a failed run reports."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from typing import Any

import pandas as pd
from dagster import AssetsDefinition, DagsterInstance, ExecuteInProcessResult

from tests.assets.support import resources, run
from tests.simserver import RunningSim
from tiktok_assets.warehouse import Warehouse

REFERENCE_KEY = "reference-key"
"""The clean run's own key, so the simulator accounts for it apart from the faulty runs."""
FAST = {"backoff_seconds": 0.01, "max_backoff_seconds": 0.05}
"""Retry pauses of the fault runs: short, so the suite stays fast."""


def _plain(value: Any) -> Any:
    if hasattr(value, "item") and not isinstance(value, dict | list):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def rows(url: str, table: str) -> list[dict[str, Any]]:
    """A whole table in primary-key order, as plain Python values, without `fetched_at` and
    `source_call_id` (when and by which journal row of this warehouse it was fetched)."""
    frame = Warehouse(url=url).read_table(table)
    frame = frame.drop(columns=[c for c in ("fetched_at", "source_call_id") if c in frame])
    return [{k: _plain(v) for k, v in record.items()} for record in frame.to_dict("records")]


def journal(url: str) -> pd.DataFrame:
    """The request journal (`api_calls`) in call order."""
    return Warehouse(url=url).read_table("api_calls")


def paid(calls: pd.DataFrame) -> pd.DataFrame:
    """Journal rows of answers that were paid for and stored (served again on re-runs)."""
    return calls[(calls["credits"] > 0) & calls["error"].isna() & ~calls["cache_hit"]]


def failure_message(result: ExecuteInProcessResult) -> str:
    """Every step failure's message, causes included."""
    texts: list[str] = []
    for event in result.get_step_failure_events():
        error = event.step_failure_data.error
        while error is not None:
            texts.append(error.message)
            error = error.cause
    return "\n".join(texts)


def materialized(result: ExecuteInProcessResult, asset: str) -> list[str]:
    return sorted(str(m.partition) for m in result.asset_materializations_for_node(asset))


def cache_hits(result: ExecuteInProcessResult, warehouse_url: str) -> int:
    """Answers the run served from the journal (its `api_calls` rows, as `run_usage` reads)."""
    from tiktok_assets.economy.journal import run_usage

    return run_usage(Warehouse(url=warehouse_url).engine, result.run_id).cache_hits


@dataclasses.dataclass(frozen=True)
class Reference:
    """What a clean run stores, and the credits and requests it cost."""

    tables: dict[str, list[dict[str, Any]]]
    credits: int
    requests: int


def clean_run(
    sim: RunningSim,
    instance: DagsterInstance,
    url: str,
    assets: Sequence[AssetsDefinition],
    *,
    partition_key: str | None = None,
    key_range: tuple[str, str] | None = None,
    **api: Any,
) -> Reference:
    """Materialize `assets` with no fault into the empty warehouse `url`, with a key of its own."""
    sim.configure(api_keys={**sim.config.api_keys, REFERENCE_KEY: None})
    res = resources(sim, url, key=REFERENCE_KEY, **api)
    before = sim.ledger(REFERENCE_KEY)
    result = run(assets, instance, res, partition_key=partition_key, key_range=key_range)
    assert result.success, failure_message(result)
    after = sim.ledger(REFERENCE_KEY)
    names = [a.key.path[-1] for a in assets]
    return Reference(
        tables={n: rows(url, n) for n in names},
        credits=after["credits_used"] - before["credits_used"],
        requests=after["requests"] - before["requests"],
    )


def assert_same_data(url: str, reference: Reference) -> None:
    """The warehouse holds exactly what the clean run stored (fetch times aside)."""
    for table, expected in reference.tables.items():
        got = rows(url, table)
        assert len(got) == len(expected), f"{table}: {len(got)} rows, clean run {len(expected)}"
        assert got == expected, f"{table} differs from the clean run"


def assert_no_answer_paid_twice(url: str) -> None:
    calls = paid(journal(url))
    twice = calls[calls.duplicated(["route", "params"], keep=False)]
    assert twice.empty, f"answers paid more than once:\n{twice[['route', 'params']]}"
