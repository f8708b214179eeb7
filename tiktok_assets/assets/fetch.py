"""The machinery shared by every API asset: fetch a run's partitions concurrently, write each
batch of them in one transaction, report one materialization per partition, fail clearly.

A run covers a range of partitions (the backfill policy makes one run per contiguous range);
it works through them in batches of `TIKTOK_WRITE_BATCH_PARTITIONS`, so memory and
transactions stay bounded however long the range. While one batch is written and reported,
the next is being fetched: requests keep going out during Dagster's event writes.

`fetch_asset(...)` builds one asset from its `AssetSource` (endpoint, partitions, table), a
function that turns a partition's answer into rows, and its data-quality checks.
"""

import asyncio
import dataclasses
import datetime as dt
import functools
import os
import warnings
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import pandas as pd
import sqlalchemy as sa
from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetDep,
    AssetExecutionContext,
    AssetMaterialization,
    AssetsDefinition,
    BackfillPolicy,
    BetaWarning,
    Config,
    Failure,
    MetadataValue,
    SpecificPartitionsPartitionMapping,
    TableColumn,
    TableSchema,
    asset,
)
from pydantic import Field

from tiktok_assets import clock
from tiktok_assets.api import errors
from tiktok_assets.api.client import AsyncTikTokShopClient, Usage, track_usage
from tiktok_assets.api.resource import TikTokShopAPI
from tiktok_assets.catalog import AssetSource
from tiktok_assets.checks import CheckOutcome, combine
from tiktok_assets.economy import (
    CreditBudgetResource,
    JournalSpool,
    open_economy,
    plan_partitions,
)
from tiktok_assets.economy.errors import EconomyStoreError
from tiktok_assets.partitions import split_key
from tiktok_assets.warehouse import Warehouse, safe_url
from tiktok_assets.warehouse.tables import LIST_OWNERS, metadata

API_POOL = "tiktok_api"
FORCE_REFRESH_TAG = "tiktok/force_refresh"
WRITE_BATCH_PARTITIONS = int(os.environ.get("TIKTOK_WRITE_BATCH_PARTITIONS") or 500)
"""Partitions fetched, then written in one transaction and reported, at a time in a run."""


def backfill_policy() -> BackfillPolicy:
    """One run per contiguous range of partitions, unless TIKTOK_MAX_PARTITIONS_PER_RUN caps it.

    A single-run policy is also what lets `dagster asset materialize --partition-range`
    run a range from the command line.
    """
    cap = os.environ.get("TIKTOK_MAX_PARTITIONS_PER_RUN", "").strip()
    return BackfillPolicy.multi_run(int(cap)) if cap else BackfillPolicy.single_run()


STOPS_THE_RUN: tuple[type[Exception], ...] = (
    errors.CreditLimitReached,
    errors.CreditBudgetExceeded,
    errors.Unauthorized,
    errors.Forbidden,
)
"""Errors that would repeat for every partition: the run stops at once."""

STOPS_FETCHING = (*STOPS_THE_RUN, EconomyStoreError)
"""Errors after which no further request is sent: the above, and the rate limiter, the
journal or the budget failing to use the warehouse."""


class FetchConfig(Config):
    """Run configuration of the API assets."""

    force_refresh: bool = Field(
        default=False,
        description="Bypass the request journal: pay again for answers already fetched today.",
    )


@dataclasses.dataclass
class Fetched:
    """One partition's answer (or why there is none)."""

    key: str
    entity_id: str
    period: int | None
    value: Any = None
    error: Exception | None = None
    usage: Usage = dataclasses.field(default_factory=Usage)


class NotAttempted(Exception):
    """The run stopped before this partition was requested."""


@dataclasses.dataclass(frozen=True)
class Shaped:
    """What a partition's answer becomes: rows, plus facts the checks need."""

    rows: list[dict[str, Any]]
    list_total: int | None = None


Shaper = Callable[[Fetched, dt.date, dt.datetime], Shaped]
Checker = Callable[[pd.DataFrame, list[tuple[Fetched, Shaped]]], CheckOutcome]


@dataclasses.dataclass(frozen=True)
class Check:
    """A data-quality rule attached to an asset."""

    name: str
    description: str
    rule: Checker
    severity: AssetCheckSeverity = AssetCheckSeverity.ERROR


async def fetch_partitions(
    client: AsyncTikTokShopClient, source: AssetSource, keys: Sequence[str], concurrency: int
) -> list[Fetched]:
    """Fetch every partition, at most `concurrency` at once; stop all on a run-stopping error."""
    gate = asyncio.Semaphore(max(1, concurrency))
    stopped = asyncio.Event()

    async def one(key: str) -> Fetched:
        entity_id, period = split_key(key)
        fetched = Fetched(key, entity_id, period)
        async with gate:
            if stopped.is_set():
                fetched.error = NotAttempted(key)
                return fetched
            with track_usage() as usage:
                try:
                    fetched.value = await client.fetch(
                        source.endpoint, id=entity_id, **source.request_params(period)
                    )
                except STOPS_THE_RUN as exc:
                    stopped.set()
                    fetched.error = exc
                except errors.TikTokAPIError as exc:
                    fetched.error = exc
                except EconomyStoreError as exc:  # the limiter, journal or budget failed
                    stopped.set()
                    fetched.error = exc
            fetched.usage = usage
        return fetched

    return list(await asyncio.gather(*(one(key) for key in keys)))


def _write(conn: sa.Connection, warehouse: Warehouse, table: sa.Table, shaped: list[Shaped]) -> int:
    rows = [row for s in shaped for row in s.rows]
    if not rows:
        return 0
    owner = LIST_OWNERS.get(table.name)
    if owner is not None:
        # A ranked list is replaced whole for its day: a shorter list leaves no stale ranks.
        days = {(r[owner], r["period"], r["snapshot_date"]) for r in rows}
        for owner_id, period, day in days:
            conn.execute(
                table.delete().where(
                    table.c[owner] == owner_id,
                    table.c.period == period,
                    table.c.snapshot_date == day,
                )
            )
        conn.execute(table.insert(), rows)
        return len(rows)
    return warehouse.upsert(conn, table, rows)


def _first_line(error: BaseException | None) -> str:
    """An error's first line: SQLAlchemy appends the SQL and its parameters after it."""
    text = str(error).splitlines()
    return text[0][:500] if text else type(error).__name__


def _failure_message(
    source: AssetSource, failed: list[Fetched], written: int, spool: JournalSpool | None
) -> str:
    stop = next((f.error for f in failed if isinstance(f.error, STOPS_THE_RUN)), None)
    db_error = next((f.error for f in failed if isinstance(f.error, EconomyStoreError)), None)
    not_attempted = sum(isinstance(f.error, NotAttempted) for f in failed)
    lines: list[str] = []
    if stop is not None:
        lines.append(f"{source.asset}: the run stopped at once — {stop}")
    elif db_error is not None:
        lines.append(f"{source.asset}: {db_error}")
        if spool is not None and (kept := spool.pending()):
            lines.append(
                f"{kept} request(s) answered while it was away are kept in {spool.path} "
                "and journaled by the next run, so they are not paid again either"
            )
    else:
        lines.append(f"{source.asset}: {len(failed)} partition(s) failed")
    lines.append(
        f"{written} partition(s) were written and materialized; "
        f"{not_attempted} were not attempted. Failed partitions:"
    )
    for f in failed:
        if not isinstance(f.error, NotAttempted):
            lines.append(f"  {f.key}: {_first_line(f.error)}")
    return "\n".join(lines)


def _column_schema(table: sa.Table) -> TableSchema:
    return TableSchema(
        columns=[TableColumn(c.name, str(c.type).lower(), description=None) for c in table.columns]
    )


@dataclasses.dataclass
class _RunTally:
    """What a run has done so far, batch after batch."""

    written: int = 0
    credits: int = 0
    cache_hits: int = 0
    failed: list[Fetched] = dataclasses.field(default_factory=list)
    outcomes: dict[str, list[CheckOutcome]] = dataclasses.field(default_factory=dict)


def _store_batch(
    context: AssetExecutionContext,
    warehouse: Warehouse,
    engine: sa.Engine,
    source: AssetSource,
    shape: Shaper,
    checks: Sequence[Check],
    results: list[Fetched],
    tally: _RunTally,
) -> None:
    """Write one batch's answers in one transaction, then report each written partition."""
    good = [f for f in results if f.error is None]
    tally.failed.extend(f for f in results if f.error is not None)
    tally.credits += sum(f.usage.credits for f in results)
    tally.cache_hits += sum(f.usage.cache_hits for f in results)
    fetched_at = clock.now()
    snapshot_date = fetched_at.date()  # the same day, pinned or not (see clock.py)
    shaped = [(f, shape(f, snapshot_date, fetched_at)) for f in good]
    table = metadata.tables[source.table]
    try:
        with engine.begin() as conn:
            _write(conn, warehouse, table, [s for _, s in shaped])
    except sa.exc.SQLAlchemyError as exc:
        raise Failure(
            f"{source.asset}: writing {len(shaped)} partition(s) to {safe_url(warehouse.url)} "
            f"failed ({type(exc).__name__}: {_first_line(exc)[:200]}); that transaction was "
            f"rolled back ({tally.written} partition(s) of earlier batches were written). The "
            "answers are in the request journal when it shares the database, so a re-run "
            "costs no credits for them.",
        ) from None
    tally.written += len(shaped)
    for f, s in shaped:
        context.log_event(
            AssetMaterialization(
                asset_key=context.asset_key,
                partition=f.key,
                metadata={
                    "dagster/row_count": len(s.rows),
                    "snapshot_date": snapshot_date.isoformat(),
                    "tiktok/credits": f.usage.credits,
                    "tiktok/requests": f.usage.requests,
                    "tiktok/cache_hits": f.usage.cache_hits,
                },
            )
        )
    frame = pd.DataFrame([row for _, s in shaped for row in s.rows])
    for check in checks:
        tally.outcomes.setdefault(check.name, []).append(check.rule(frame, shaped))


def run_fetch(
    context: AssetExecutionContext,
    config: FetchConfig,
    api: TikTokShopAPI,
    warehouse: Warehouse,
    credit_budget: CreditBudgetResource,
    source: AssetSource,
    shape: Shaper,
    checks: Sequence[Check],
) -> Iterator[AssetCheckResult]:
    """Materialize the run's partitions of `source`; see the module docstring."""
    keys = [str(k) for k in context.partition_keys]
    force = config.force_refresh or context.run.tags.get(FORCE_REFRESH_TAG, "") == "true"
    try:
        engine = warehouse.engine
        economy = open_economy(
            engine,
            bucket=api.key_fingerprint,
            rate_per_minute=api.rate_per_minute,
            run_id=context.run_id,
            monthly_credit_limit=credit_budget.monthly_credit_limit,
            credit_reserve=credit_budget.credit_reserve,
        )
        plan = plan_partitions(
            engine,
            [(source, key) for key in keys],
            page_size=api.page_size,
            rate_per_minute=api.rate_per_minute,
            monthly_credit_limit=credit_budget.monthly_credit_limit,
            credit_reserve=credit_budget.credit_reserve,
            force_refresh=force,
        )
    except sa.exc.SQLAlchemyError as exc:
        raise Failure(
            f"{source.asset}: cannot open the warehouse at {safe_url(warehouse.url)} "
            f"({type(exc).__name__}). Nothing was requested; check TIKTOK_WAREHOUSE_URL.",
        ) from None
    context.log.info(
        f"{source.asset}: {len(keys)} partition(s); plan: {plan.requests} request(s), "
        f"{plan.cached} from the journal, {plan.credits} credit(s); "
        f"{plan.credits_left} credit(s) left this month after it"
    )
    try:
        economy["budget"].check_run(plan.credits)
    except errors.CreditBudgetExceeded as exc:
        raise Failure(str(exc)) from None

    tally = _RunTally()

    batches = [
        keys[start : start + WRITE_BATCH_PARTITIONS]
        for start in range(0, len(keys), WRITE_BATCH_PARTITIONS)
    ]

    store = functools.partial(_store_batch, context, warehouse, engine, source, shape, checks)

    async def fetch_in_batches() -> None:
        """Fetch batch n + 1 while batch n is written and reported (in a worker thread)."""
        if not batches:
            return
        async with api.async_client(force_refresh=force, **economy) as client:

            def fetch(batch: list[str]) -> asyncio.Task[list[Fetched]]:
                return asyncio.ensure_future(
                    fetch_partitions(client, source, batch, api.max_concurrency)
                )

            pending = fetch(batches[0])
            for n in range(len(batches)):
                results = await pending
                stopped = any(isinstance(f.error, STOPS_FETCHING) for f in results)
                fetching_next = not stopped and n + 1 < len(batches)
                if fetching_next:
                    pending = fetch(batches[n + 1])
                try:
                    await asyncio.to_thread(store, results, tally)
                except BaseException:
                    if fetching_next:
                        # Its answers are being paid for: let them reach the journal first.
                        await asyncio.wait([pending])
                    raise
                if stopped:
                    tally.failed.extend(
                        Fetched(key, *split_key(key), error=NotAttempted(key))
                        for batch in batches[n + 1 :]
                        for key in batch
                    )
                    return

    asyncio.run(fetch_in_batches())
    context.log.info(
        f"{source.asset}: wrote {tally.written} partition(s); spent {tally.credits} credit(s), "
        f"{tally.cache_hits} answer(s) served from the journal"
    )
    for check in checks:
        outcome = combine(tally.outcomes.get(check.name, []))
        yield AssetCheckResult(
            check_name=check.name,
            passed=outcome.passed,
            severity=check.severity,
            description=outcome.description,
            metadata={
                "checked": outcome.checked,
                "failing": MetadataValue.json(outcome.failing[:200]),
            },
        )

    if tally.failed:
        raise Failure(
            _failure_message(source, tally.failed, tally.written, economy["journal"].spool),
            metadata={"failed_partitions": MetadataValue.json([f.key for f in tally.failed][:500])},
        )


def fetch_asset(
    source: AssetSource,
    *,
    description: str,
    shape: Shaper,
    checks: Sequence[Check] = (),
    lineage_from: Sequence[str] = (),
) -> AssetsDefinition:
    """Build the asset for `source` (see the module docstring)."""
    table = metadata.tables[source.table]
    # Data-dependent lineage: the edge shows in the graph, but maps to no upstream
    # partition, so a new shop list never marks every product partition stale.
    deps = [
        AssetDep(upstream, partition_mapping=SpecificPartitionsPartitionMapping([]))
        for upstream in lineage_from
    ]

    def _asset(
        context: AssetExecutionContext,
        config: FetchConfig,
        api: TikTokShopAPI,
        warehouse: Warehouse,
        credit_budget: CreditBudgetResource,
    ) -> Iterator[AssetCheckResult]:
        yield from run_fetch(context, config, api, warehouse, credit_budget, source, shape, checks)

    with warnings.catch_warnings():
        # Backfill policies are beta in Dagster 1.13; batching is what this project is for.
        warnings.simplefilter("ignore", BetaWarning)
        return asset(
            name=source.asset,
            description=description,
            group_name=source.group,
            partitions_def=source.partitions_def,
            backfill_policy=backfill_policy(),
            pool=API_POOL,
            kinds={"api", "python", "sql"},
            deps=deps,
            output_required=False,
            check_specs=[
                AssetCheckSpec(c.name, asset=source.asset, description=c.description)
                for c in checks
            ],
            metadata={
                "dagster/column_schema": _column_schema(table),
                "dagster/table_name": table.name,
                "endpoint": source.endpoint.route,
            },
        )(_asset)
