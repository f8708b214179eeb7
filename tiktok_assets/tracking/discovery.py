"""Discovery: the ids the fetched data names that the tracked set does not have yet.

A *feed* is an asset whose warehouse rows carry ids of another entity: a shop's or a
creator's product list (`product_id`), a video's detail (`product_id`, `creator_id`). The
sensors read the feed's materializations that are new since their cursor (one storage id
per feed in the event log), then the rows those materializations wrote, and offer the ids
to a `Selector`, which applies the rules:

- lists count only their top `TIKTOK_DISCOVERY_TOP_N` rows by revenue;
- ids already tracked, or already picked this tick, are skipped;
- malformed ids (not 1 to 20 digits) are skipped and reported, never added;
- at most `TIKTOK_DISCOVERY_MAX_NEW_IDS_PER_TICK` new ids per tick: the cursor stops before
  the first materialization not fully taken, which the next tick reads again;
- past the budget's allowance (see `refresh.projection`; each id priced at its own monthly
  cost: a product on a tracked shop's list costs less, its totals being derived) ids are
  dropped and counted; the
  cursor moves on (a later refresh of the list offers them again).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from collections.abc import Callable, Collection, Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from dagster import AssetKey, AssetRecordsFilter, DagsterInstance

from tiktok_assets.api.ids import is_valid_id
from tiktok_assets.names import CREATOR_PRODUCTS, SHOP_PRODUCTS, SNAPSHOT_DATE_KEY, VIDEO_DETAIL
from tiktok_assets.partitions import split_key
from tiktok_assets.warehouse.tables import metadata

MAX_EVENTS_PER_FEED = 500
"""Materializations of one feed read per tick (the rest wait for the next tick)."""

_OWNERS_PER_QUERY = 500


@dataclasses.dataclass(frozen=True)
class Feed:
    """An asset whose rows name ids of another entity."""

    asset: str
    owner: str
    """The column holding the partition's own id (`shop_id`, `creator_id`, `id`)."""
    column: str | None = None
    """The column holding the discovered id."""
    raw_keys: tuple[str, ...] = ()
    """Or keys of the row's raw JSON holding an id or a list of ids (vendor extensions)."""
    ranked: bool = False
    """A list: only its top N rows by revenue count."""


PRODUCT_FEEDS: tuple[Feed, ...] = (
    Feed(SHOP_PRODUCTS, owner="shop_id", column="product_id", ranked=True),
    Feed(CREATOR_PRODUCTS, owner="creator_id", column="product_id", ranked=True),
    Feed(VIDEO_DETAIL, owner="id", column="product_id"),
)
CREATOR_FEEDS: tuple[Feed, ...] = (
    Feed(VIDEO_DETAIL, owner="id", column="creator_id"),
    # The documented product lists carry no creator; take one if the vendor ever adds it.
    Feed(SHOP_PRODUCTS, owner="shop_id", raw_keys=("creator_id", "creator_ids"), ranked=True),
)
FEEDS: dict[str, tuple[Feed, ...]] = {"product": PRODUCT_FEEDS, "creator": CREATOR_FEEDS}
"""The feeds of each discovered entity."""


@dataclasses.dataclass(frozen=True)
class ListEvent:
    """One materialization of a feed's partition."""

    feed: Feed
    storage_id: int
    partition: str | None
    owner_id: str | None
    period: int | None
    snapshot_date: dt.date | None

    @property
    def label(self) -> str:
        return f"{self.feed.asset} {self.partition}"


@dataclasses.dataclass(frozen=True)
class Found:
    """The candidate ids of one materialization, best first (values unchecked)."""

    event: ListEvent
    values: tuple[object, ...]


@dataclasses.dataclass(frozen=True)
class Malformed:
    """An id from the API that is not one: where it was and what it was."""

    asset: str
    partition: str | None
    value: object


# -- cursor ----------------------------------------------------------------------------------


def parse_cursor(cursor: str | None) -> dict[str, int]:
    """`{"shop_products": 123, ...}`: the last storage id read per feed asset."""
    if not cursor:
        return {}
    try:
        data = json.loads(cursor)
    except ValueError:
        raise ValueError(f"unreadable discovery cursor {cursor[:80]!r}") from None
    return {str(k): int(v) for k, v in data.items()}


def dump_cursor(cursors: Mapping[str, int]) -> str:
    return json.dumps(dict(sorted(cursors.items())), separators=(",", ":"))


# -- reading ---------------------------------------------------------------------------------


def _snapshot_date(metadata_value: Any) -> dt.date | None:
    value = getattr(metadata_value, "value", metadata_value)
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            return None
    return None


def new_events(
    instance: DagsterInstance, feed: Feed, after: int | None, *, limit: int = MAX_EVENTS_PER_FEED
) -> list[ListEvent]:
    """The feed's materializations after storage id `after`, oldest first."""
    result = instance.fetch_materializations(
        AssetRecordsFilter(asset_key=AssetKey(feed.asset), after_storage_id=after),
        limit=limit,
        ascending=True,
    )
    events = []
    for record in result.records:
        materialization = record.asset_materialization
        partition = record.partition_key
        owner_id, period = split_key(partition) if partition else (None, None)
        snapshot = None
        if materialization is not None:
            snapshot = _snapshot_date(materialization.metadata.get(SNAPSHOT_DATE_KEY))
        events.append(ListEvent(feed, record.storage_id, partition, owner_id, period, snapshot))
    return events


def _values(row: Mapping[str, Any], feed: Feed) -> list[object]:
    values: list[object] = []
    if feed.column is not None:
        values.append(row[feed.column])
    raw = row.get("raw")
    if feed.raw_keys and isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except ValueError:
            raw = None
    if isinstance(raw, dict):
        for key in feed.raw_keys:
            value = raw.get(key)
            if isinstance(value, list):
                values += value
            elif value is not None:
                values.append(value)
    return [v for v in values if v is not None]


def _revenue_order(row: Mapping[str, Any]) -> tuple[float, int]:
    revenue = row.get("revenue")
    return (-(revenue if revenue is not None else float("-inf")), row.get("rank") or 0)


def find_ids(
    engine: sa.Engine, feed: Feed, events: Sequence[ListEvent], *, top_n: int
) -> list[Found]:
    """The candidate ids each event's rows name (lists: top `top_n` by revenue)."""
    table = metadata.tables[feed.asset]
    wanted = [e for e in events if e.owner_id is not None]
    has_period = "period" in table.c
    columns = [table.c[feed.owner], table.c.snapshot_date]
    if has_period:
        columns.append(table.c.period)
    if feed.ranked:
        columns += [table.c["rank"], table.c.revenue]
    if feed.column is not None:
        columns.append(table.c[feed.column])
    if feed.raw_keys:
        columns.append(table.c.raw)

    groups: dict[tuple[str, int | None, dt.date], list[dict[str, Any]]] = {}
    owners = sorted({e.owner_id for e in wanted if e.owner_id})
    dates = {e.snapshot_date for e in wanted}
    with engine.connect() as conn:
        for start in range(0, len(owners), _OWNERS_PER_QUERY):
            query = sa.select(*columns).where(
                table.c[feed.owner].in_(owners[start : start + _OWNERS_PER_QUERY])
            )
            if None not in dates:
                query = query.where(table.c.snapshot_date.in_(sorted(dates)))  # type: ignore[type-var]
            for row in conn.execute(query).mappings():
                period = row["period"] if has_period else None
                key = (row[feed.owner], period, row["snapshot_date"])
                groups.setdefault(key, []).append(dict(row))

    found = []
    for event in events:
        rows: list[dict[str, Any]] = []
        if event.owner_id is not None:
            period = event.period if has_period else None
            day = event.snapshot_date
            if day is None:
                days = [d for (o, p, d) in groups if o == event.owner_id and p == period]
                day = max(days) if days else None
            rows = groups.get((event.owner_id, period, day), []) if day else []
        if feed.ranked:
            rows = sorted(rows, key=_revenue_order)[:top_n]
        values = [v for row in rows for v in _values(row, feed)]
        found.append(Found(event, tuple(dict.fromkeys(_hashable(v) for v in values))))
    return found


def _hashable(value: object) -> object:
    return value if isinstance(value, str | int | float | bool) else repr(value)


# -- selection -------------------------------------------------------------------------------


class Selector:
    """Applies the discovery rules to found ids, event by event (see the module docstring)."""

    def __init__(
        self,
        *,
        tracked: Collection[str],
        cursors: Mapping[str, int],
        cap: int,
        allowance: float | None,
        cost_of: Callable[[str], float] | None = None,
    ) -> None:
        """`allowance`: what new ids may cost in all (None: no limit); each id costs
        `cost_of(id)` (default 1: the allowance is then a number of ids)."""
        self.tracked = tracked
        self.cursors = dict(cursors)
        self.cap = cap
        self.allowance = allowance
        self.cost_of = cost_of or (lambda _: 1.0)
        self.spent = 0.0
        self.new_ids: list[str] = []
        self._picked: set[str] = set()
        self.malformed: list[Malformed] = []
        self.over_budget: list[str] = []
        self._over: set[str] = set()
        self.capped = False
        self.events_read = 0
        self.sources: dict[str, int] = {}

    def offer(self, found: Found) -> bool:
        """Take what the rules allow from one event; False once the per-tick cap is reached."""
        if self.capped:
            return False
        event = found.event
        taken = 0
        for value in found.values:
            if not is_valid_id(value):
                self.malformed.append(Malformed(event.feed.asset, event.partition, value))
                continue
            entity_id: str = value  # type: ignore[assignment]
            if entity_id in self.tracked or entity_id in self._picked:
                continue
            cost = self.cost_of(entity_id)
            if self.allowance is not None and self.spent + cost > self.allowance + 1e-9:
                if entity_id not in self._over:
                    self._over.add(entity_id)
                    self.over_budget.append(entity_id)
                continue
            if len(self.new_ids) >= self.cap:
                self.capped = True
                return False
            self.new_ids.append(entity_id)
            self._picked.add(entity_id)
            self.spent += cost
            taken += 1
        self.events_read += 1
        if taken:
            self.sources[event.feed.asset] = self.sources.get(event.feed.asset, 0) + taken
        self.cursors[event.feed.asset] = max(
            self.cursors.get(event.feed.asset, 0), event.storage_id
        )
        return True

    def describe(self, entity: str) -> str:
        parts = [
            f"{len(self.new_ids)} new {entity} id(s)"
            + (
                f" ({', '.join(f'{n} from {a}' for a, n in self.sources.items())})"
                if self.sources
                else ""
            ),
            f"{self.events_read} materialization(s) read",
        ]
        if self.capped:
            parts.append(f"per-tick cap of {self.cap} reached: the rest waits for the next tick")
        if self.over_budget:
            parts.append(
                f"{len(self.over_budget)} id(s) NOT tracked: the tracked set's projected "
                "refresh cost reached the credit budget (TIKTOK_DISCOVERY_BUDGET_SHARE)"
            )
        if self.malformed:
            shown = ", ".join(f"{m.value!r} ({m.asset} {m.partition})" for m in self.malformed[:10])
            parts.append(f"{len(self.malformed)} malformed id(s) skipped: {shown}")
        return "; ".join(parts)
