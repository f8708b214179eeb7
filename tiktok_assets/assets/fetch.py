"""The machinery shared by every API asset: fetch a run's partitions concurrently, write each
batch of them in one transaction, report one materialization per partition, fail clearly.

A run covers a range of partitions (the backfill policy makes one run per contiguous range);
it works through them in batches of `TIKTOK_WRITE_BATCH_PARTITIONS`, so memory and
transactions stay bounded however long the range. While one batch is written and reported,
the next is being fetched: requests keep going out during Dagster's event writes.

The assets themselves are defined by `tiktok_assets.assets.factory.fetch_asset`, which
imports this module when a run starts (not when the code location loads).
"""

import asyncio
import dataclasses
import datetime as dt
from collections.abc import Iterator, Sequence
from typing import Any

import sqlalchemy as sa
from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetExecutionContext,
    AssetMaterialization,
    Failure,
    MetadataValue,
)

from tiktok_assets import clock
from tiktok_assets.api import errors, models
from tiktok_assets.api.client import AsyncTikTokShopClient, Usage, track_usage
from tiktok_assets.api.endpoints import build_request
from tiktok_assets.api.resource import TikTokShopAPI
from tiktok_assets.assets.spec import Check, FetchConfig, Shaped, Shaper, sources_check_name
from tiktok_assets.catalog import AssetSource
from tiktok_assets.checks import CheckOutcome, combine
from tiktok_assets.economy import (
    CostPlan,
    CreditBudgetResource,
    JournalSpool,
    open_economy,
    plan_partitions,
)
from tiktok_assets.economy.errors import EconomyStoreError
from tiktok_assets.economy.journal import Answer, collect_answers
from tiktok_assets.economy.reconcile import (
    Comparison,
    Trust,
    compare_history,
    compare_total,
    disagreements_of,
    record,
    standing,
)
from tiktok_assets.economy.resolve import resolve
from tiktok_assets.economy.sources import API, SOURCES_OF, Day, Derivation, Resolution
from tiktok_assets.names import (
    DEFERRED_ROUTES_TAG,
    FORCE_REFRESH_TAG,
    PLAN_TAG,
    SNAPSHOT_DATE_KEY,
    SOURCE_KEY,
)
from tiktok_assets.partitions import split_key
from tiktok_assets.refresh.plan import planned_keys
from tiktok_assets.settings import get_settings
from tiktok_assets.warehouse import Warehouse, safe_url
from tiktok_assets.warehouse.tables import metadata

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


@dataclasses.dataclass
class Fetched:
    """One partition's answer (or why there is none)."""

    key: str
    entity_id: str
    period: int | None
    value: Any = None
    error: Exception | None = None
    usage: Usage = dataclasses.field(default_factory=Usage)
    source: str = API
    """Where the numbers came from: `api`, or the source a derived partition came from."""
    answer: Answer | None = None
    """The journal row of the answer behind the numbers (None when it could not be known)."""


class NotAttempted(Exception):
    """The run stopped before this partition was requested."""


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
            with track_usage() as usage, collect_answers() as answers:
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
            fetched.answer = answers[-1] if answers and fetched.error is None else None
        return fetched

    return list(await asyncio.gather(*(one(key) for key in keys)))


def _write(conn: sa.Connection, warehouse: Warehouse, table: sa.Table, shaped: list[Shaped]) -> int:
    """Write a batch's rows (`Warehouse.write`), inside the caller's transaction."""
    return warehouse.write(conn, table, [row for s in shaped for row in s.rows])


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


@dataclasses.dataclass
class _RunTally:
    """What a run has done so far, batch after batch."""

    written: int = 0
    credits: int = 0
    cache_hits: int = 0
    failed: list[Fetched] = dataclasses.field(default_factory=list)
    outcomes: dict[str, list[CheckOutcome]] = dataclasses.field(default_factory=dict)
    sources: dict[str, int] = dataclasses.field(default_factory=dict)


def _provenance(table: sa.Table, f: Fetched, rows: list[dict[str, Any]]) -> None:
    """Stamp a derivable table's rows with the source of their numbers."""
    if "source" not in table.c:
        return
    call_id = f.answer.call_id if f.answer is not None else None
    for row in rows:
        row["source"] = f.source
        row["source_call_id"] = call_id


def _derived(derivation: Derivation, record: type[models.Record]) -> Fetched:
    """A partition answered by a source: its value as the API would have answered it."""
    if record is models.ProductDay:
        value: Any = [models.ProductDay.from_payload(d) for d in derivation.history_payload()]
    else:
        value = record.from_payload(derivation.total_payload())
    return Fetched(
        derivation.key,
        derivation.entity_id,
        derivation.period,
        value=value,
        source=derivation.source,
        answer=derivation.answer,
    )


def _compare(derivation: Derivation, fetched: Fetched) -> Comparison | None:
    """A sample's API answer beside its derivation (None when the API gave no answer)."""
    if fetched.error is not None:
        return None
    call_id = fetched.answer.call_id if fetched.answer is not None else None
    if isinstance(fetched.value, list):
        days = [
            Day(d.date, float(d.revenue), int(d.sales))
            if d.date is not None and d.revenue is not None and d.sales is not None
            else None
            for d in fetched.value
        ]
        return compare_history(derivation, days, call_id)
    value = fetched.value
    return compare_total(derivation, value.revenue, value.sales, call_id)


@dataclasses.dataclass
class FetchRun:
    """One run of one API asset over its partitions, in five named steps, in order:
    `plan` (which partitions), `resolve` (where each number comes from, what is paid, the
    budget's check), `fetch` (samples, derived, paid; batch after batch), `write` (each batch in
    one transaction, then its materializations) and `report` (checks, log, failure)."""

    context: AssetExecutionContext
    api: TikTokShopAPI
    warehouse: Warehouse
    credit_budget: CreditBudgetResource
    source: AssetSource
    shape: Shaper
    checks: Sequence[Check]
    force: bool
    keys: list[str] = dataclasses.field(default_factory=list)
    tally: _RunTally = dataclasses.field(default_factory=_RunTally)
    comparisons: list[Comparison] = dataclasses.field(default_factory=list)
    resolution: Resolution | None = None

    @property
    def derivable(self) -> bool:
        return self.source.asset in SOURCES_OF

    # -- 1. plan --------------------------------------------------------------------------------

    def plan(self) -> list[str]:
        """The run's partition keys; on a run of a refresh plan (`PLAN_TAG`), only those the
        plan of its day chose: the range may span ids the plan leaves waiting."""
        context = self.context
        keys = [str(k) for k in context.partition_keys]
        day = context.run.tags.get(PLAN_TAG)
        if day is not None:
            chosen = planned_keys(
                self.warehouse.engine, self.source.asset, dt.date.fromisoformat(day)
            )
            kept = [k for k in keys if k in chosen]
            context.log.info(
                f"{self.source.asset}: the refresh plan of {day} fetches {len(kept)} of the "
                f"run's {len(keys)} partition(s); {context.run.tags.get(DEFERRED_ROUTES_TAG, '0')}"
                " route(s) of that day were deferred to the next day (see the refresh_plan table)"
            )
            keys = kept
        self.keys = keys
        return keys

    # -- 2. resolve -----------------------------------------------------------------------------

    def resolve(self) -> CostPlan:
        """Open the run's economy, say where each number comes from, and price what is paid
        (the paid partitions and the samples); refuse the run if the month cannot pay it."""
        try:
            self.engine = self.warehouse.engine
            self.economy = open_economy(
                self.engine,
                bucket=self.api.key_fingerprint,
                rate_per_minute=self.api.rate_per_minute,
                run_id=self.context.run_id,
                monthly_credit_limit=self.credit_budget.monthly_credit_limit,
                credit_reserve=self.credit_budget.credit_reserve,
            )
            self.resolution = self._sources()
            # The resolution already says where each number comes from: plan what is paid
            # without forecasting derivations again. Pending partitions are derived once their
            # samples agree (else paid, each request still within the budget), as the
            # planner's forecast counted them.
            paid = [*self.resolution.paid, *self.resolution.samples]
            terms = dataclasses.replace(self.credit_budget.terms(self.api), reconcile_sample=None)
            cost = plan_partitions(
                self.engine,
                [(self.source, key) for key in paid],
                terms,
                force_refresh=self.force,
            )
        except EconomyStoreError as exc:
            raise Failure(f"{self.source.asset}: {exc} Nothing was requested.") from None
        except sa.exc.SQLAlchemyError as exc:
            raise Failure(
                f"{self.source.asset}: cannot open the warehouse at "
                f"{safe_url(self.warehouse.url)} ({type(exc).__name__}: "
                f"{_first_line(exc)[:200]}). Nothing was requested; check TIKTOK_WAREHOUSE_URL.",
            ) from None
        r = self.resolution
        self.context.log.info(
            f"{self.source.asset}: {len(self.keys)} partition(s): {len(r.derived)} derived "
            f"from answers of the day, {len(r.samples)} paid as samples, {len(r.pending)} "
            f"waiting for the samples; plan: {cost.requests} request(s), {cost.cached} from "
            f"the journal, at most {cost.credits} credit(s); {cost.credits_left} credit(s) "
            "left this month after it"
        )
        try:
            self.economy["budget"].check_run(cost.credits)
        except (errors.CreditBudgetExceeded, EconomyStoreError) as exc:
            raise Failure(str(exc)) from None
        return cost

    def _sources(self) -> Resolution:
        if not self.derivable:
            return Resolution.all_paid(self.keys)
        resolution, standings = resolve(
            self.engine,
            self.source.asset,
            self.keys,
            request_of=lambda entity_id, period: build_request(
                self.source.endpoint, entity_id, **self.source.request_params(period)
            ),
            today=clock.today(),
            sample=self.credit_budget.reconcile_sample,
            force_refresh=self.force,
        )
        distrusted = [s for s, st in standings.items() if st.trust is Trust.DISTRUSTED]
        if distrusted:
            self.context.log.warning(
                f"{self.source.asset}: source(s) {', '.join(distrusted)} disagreed with the API "
                "earlier today: the partitions they would answer are paid"
            )
        return resolution

    # -- 3. fetch -------------------------------------------------------------------------------

    def fetch(self) -> None:
        """Pay and verify the samples, store the derived partitions (no request), then fetch
        the paid ones in write batches: batch n + 1 is fetched while batch n is written."""
        if self.keys:
            asyncio.run(self._fetch_in_batches())

    async def _verify(self, client: AsyncTikTokShopClient) -> list[Fetched]:
        """Pay the samples, compare each with its derivation, record the comparisons, and
        settle the pending partitions; returns the samples' answers (stored like any)."""
        r = self.resolution
        assert r is not None
        if not r.samples:
            r.settle(trusted=())
            return []
        keys = sorted(r.samples)
        fetched = await fetch_partitions(client, self.source, keys, self.api.max_concurrency)
        comparisons = [c for f in fetched if (c := _compare(r.samples[f.key], f)) is not None]
        if comparisons:
            record(
                self.engine,
                comparisons,
                day=clock.today(),
                asset=self.source.asset,
                checked_at=clock.now(),
            )
        self.comparisons += comparisons
        sample = self.credit_budget.reconcile_sample
        trusted = [
            s
            for s in {d.source for d in r.samples.values()}
            if standing(self.engine, clock.today(), s, self.source.asset, sample).trust
            is Trust.TRUSTED
        ]
        for c in comparisons:
            if not c.agreed:
                self.context.log.warning(f"{self.source.asset}: disagreement: {c.difference}")
        r.settle(trusted)
        return fetched

    async def _fetch_in_batches(self) -> None:
        r = self.resolution
        assert r is not None
        size = get_settings().tiktok_write_batch_partitions
        async with self.api.async_client(force_refresh=self.force, **self.economy) as client:
            samples = await self._verify(client)
            if samples:
                await asyncio.to_thread(self.write, samples)
            record_type = self.source.endpoint.record
            derived = [_derived(d, record_type) for _, d in sorted(r.derived.items())]
            for start in range(0, len(derived), size):
                await asyncio.to_thread(self.write, derived[start : start + size])
            if any(isinstance(f.error, STOPS_FETCHING) for f in samples):
                self._give_up(r.paid)  # what needs no request is stored all the same
                return
            batches = [r.paid[start : start + size] for start in range(0, len(r.paid), size)]
            if not batches:
                return

            def fetch(batch: list[str]) -> asyncio.Task[list[Fetched]]:
                return asyncio.ensure_future(
                    fetch_partitions(client, self.source, batch, self.api.max_concurrency)
                )

            pending = fetch(batches[0])
            for n in range(len(batches)):
                results = await pending
                stopped = any(isinstance(f.error, STOPS_FETCHING) for f in results)
                fetching_next = not stopped and n + 1 < len(batches)
                if fetching_next:
                    pending = fetch(batches[n + 1])
                try:
                    await asyncio.to_thread(self.write, results)
                except BaseException:
                    if fetching_next:
                        # Its answers are being paid for: let them reach the journal first.
                        await asyncio.wait([pending])
                    raise
                if stopped:
                    self._give_up([key for batch in batches[n + 1 :] for key in batch])
                    return

    def _give_up(self, keys: Sequence[str]) -> None:
        self.tally.failed.extend(
            Fetched(key, *split_key(key), error=NotAttempted(key)) for key in keys
        )

    # -- 4. write -------------------------------------------------------------------------------

    def write(self, results: list[Fetched]) -> None:
        """Write one batch's answers in one transaction, then report each written partition
        and run the checks on the batch's rows.

        A row's `fetched_at` is the time of the answer behind it (a journal hit's or a
        source's original answer), and its `snapshot_date` that answer's day.
        """
        tally, source = self.tally, self.source
        good = [f for f in results if f.error is None]
        tally.failed.extend(f for f in results if f.error is not None)
        tally.credits += sum(f.usage.credits for f in results)
        tally.cache_hits += sum(f.usage.cache_hits for f in results)
        now = clock.now()
        table = metadata.tables[source.table]
        shaped = []
        for f in good:
            at = f.answer.called_at if f.answer is not None else now
            day = f.answer.call_date if f.answer is not None else now.date()
            s = self.shape(f, day, at)
            _provenance(table, f, s.rows)
            shaped.append((f, s, day))
        try:
            with self.engine.begin() as conn:
                _write(conn, self.warehouse, table, [s for _, s, _ in shaped])
        except sa.exc.SQLAlchemyError as exc:
            raise Failure(
                f"{source.asset}: writing {len(shaped)} partition(s) to "
                f"{safe_url(self.warehouse.url)} failed ({type(exc).__name__}: "
                f"{_first_line(exc)[:200]}); that transaction was rolled back ({tally.written} "
                "partition(s) of earlier batches were written). The answers are in the request "
                "journal when it shares the database, so a re-run costs no credits for them.",
            ) from None
        tally.written += len(shaped)
        for f, s, day in shaped:
            tally.sources[f.source] = tally.sources.get(f.source, 0) + 1
            self.context.log_event(
                AssetMaterialization(
                    asset_key=self.context.asset_key,
                    partition=f.key,
                    metadata=self._materialization_metadata(f, s, day),
                )
            )
        import pandas as pd  # only when a run stores: loading the code location stays light

        frame = pd.DataFrame([row for _, s, _ in shaped for row in s.rows])
        pairs = [(f, s) for f, s, _ in shaped]
        for check in self.checks:
            tally.outcomes.setdefault(check.name, []).append(check.rule(frame, pairs))

    def _materialization_metadata(self, f: Fetched, s: Shaped, day: dt.date) -> dict[str, Any]:
        """What the catalog shows of one partition's materialization: its rows, the day of its
        numbers and (product totals and series) where they came from. It is stored in the
        instance once per partition and day, so nothing more: credits, requests and journal
        hits are the run's (its `api_calls` rows, `run_usage`), and the answer behind a row is
        its `source_call_id` in the warehouse."""
        out: dict[str, Any] = {"dagster/row_count": len(s.rows), SNAPSHOT_DATE_KEY: day.isoformat()}
        if self.derivable:
            out[SOURCE_KEY] = f.source
        return out

    # -- 5. report ------------------------------------------------------------------------------

    def report(self) -> Iterator[AssetCheckResult]:
        """The run's log line, its checks, and a failure naming the failed partitions."""
        tally = self.tally
        by_source = ", ".join(f"{n} from {s}" for s, n in sorted(tally.sources.items()))
        self.context.log.info(
            f"{self.source.asset}: wrote {tally.written} partition(s)"
            + (f" ({by_source})" if self.derivable and by_source else "")
            + f"; spent {tally.credits} credit(s), {tally.cache_hits} answer(s) served from "
            "the journal"
        )
        for check in self.checks:
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
        if self.derivable:
            yield self._sources_check()
        if tally.failed:
            raise Failure(
                _failure_message(
                    self.source, tally.failed, tally.written, self.economy["journal"].spool
                ),
                metadata={
                    "failed_partitions": MetadataValue.json([f.key for f in tally.failed][:500])
                },
            )

    def _sources_check(self) -> AssetCheckResult:
        """WARN when a source disagreed with the API today (this run's comparisons and the
        day's), naming the ids and the differences; counts per source in its metadata."""
        asset = self.source.asset
        disagreements = disagreements_of(self.engine, clock.today(), asset)
        agreed = sum(c.agreed for c in self.comparisons)
        if disagreements:
            description = (
                f"{len(disagreements)} derived value(s) disagreed with the API today; that "
                "source is not used for this asset today (its partitions are paid): "
                + "; ".join(disagreements[:10])
            )
        else:
            description = (
                f"every comparison of a derived value with the API agreed ({agreed} this run)"
            )
        return AssetCheckResult(
            check_name=sources_check_name(asset),
            passed=not disagreements,
            severity=AssetCheckSeverity.WARN,
            description=description,
            metadata={
                "partitions_by_source": MetadataValue.json(
                    dict(sorted(self.tally.sources.items()))
                ),
                "compared_this_run": len(self.comparisons),
                "disagreements_today": MetadataValue.json(disagreements[:200]),
            },
        )


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
    """Materialize the run's partitions of `source`: plan, resolve, fetch (writing each
    batch), report."""
    run = FetchRun(
        context,
        api,
        warehouse,
        credit_budget,
        source,
        shape,
        checks,
        force=config.force_refresh or context.run.tags.get(FORCE_REFRESH_TAG, "") == "true",
    )
    run.plan()
    run.resolve()
    run.fetch()
    yield from run.report()
