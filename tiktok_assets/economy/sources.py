"""Where a number comes from: the cheapest answer of the day that provably holds it.

For the partitions of `product_total` and `product_history` (the derivable assets), before
any request, in this order:

1. the request journal: the same request answered today is served again, free (the client
   does this; such partitions keep source `api`);
2. `shop_products`: a row of any shop's product list answered today for that product and
   that period holds its revenue and sales over the period (a `product_total` only; a list of
   one period never answers another; rows need numeric revenue and sales);
3. `product_history`: a daily series answered today whose last `period` days are all there
   holds the totals of the window (their sums) and any shorter series (a slice);
4. a paid request.

`creator_products` rows are a creator's attributed share, never a product's totals: not a
source. `avg_price` of a derived total is `revenue / sales` rounded to cents, as the API
rounds it, and 0.0 when sales are 0 (the API's own rule for a product that sold nothing).

A source is trusted for an asset on a day only once a sample of the partitions it would
answer has been paid for too and agreed (sales equal, revenue within 0.5 % or 0.01): see
`tiktok_assets.economy.reconcile`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import logging
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import sqlalchemy as sa

from tiktok_assets.api import endpoints as ep
from tiktok_assets.catalog import SOURCES_OF as SOURCES_OF  # the derivable assets
from tiktok_assets.economy.journal import Answer, succeeded
from tiktok_assets.names import PRODUCT_HISTORY, SHOP_PRODUCTS
from tiktok_assets.warehouse.tables import api_calls

log = logging.getLogger(__name__)
_c = api_calls.c

API = "api"
"""The source of numbers answered by their own request."""


@dataclasses.dataclass(frozen=True)
class Day:
    """One day of a product's series: `date`, `revenue`, `sales`."""

    date: dt.date
    revenue: float
    sales: int


@dataclasses.dataclass(frozen=True)
class Derivation:
    """A partition answered from another answer of the day instead of a paid request."""

    key: str
    entity_id: str
    period: int
    source: str
    answer: Answer
    revenue: float
    sales: int
    days: tuple[Day, ...] = ()
    """The series' days (history partitions; empty for totals)."""

    @property
    def avg_price(self) -> float:
        """`revenue / sales` rounded as the API rounds it; 0.0 when nothing sold."""
        return round(self.revenue / self.sales, 2) if self.sales else 0.0

    def total_payload(self) -> dict[str, Any]:
        """The `product-detail/total` answer these numbers stand for."""
        return {
            "revenue": self.revenue,
            "sales": self.sales,
            "avg_price": self.avg_price,
            "period": self.period,
        }

    def history_payload(self) -> list[dict[str, Any]]:
        """The `product-detail/history` answer these numbers stand for."""
        return [
            {"date": d.date.isoformat(), "revenue": d.revenue, "sales": d.sales} for d in self.days
        ]


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if value >= 0 else None


def _count(value: Any) -> int | None:
    number = _number(value)
    return int(number) if number is not None and float(number).is_integer() else None


def _answers(
    conn: sa.Connection, route: str, day: dt.date, ids: Iterable[str] | None = None
) -> list[tuple[Answer, dict[str, Any], Any]]:
    """(answer, params, body) of every successful paid answer of `route` on `day`, oldest first."""
    query = (
        sa.select(_c.call_id, _c.called_at, _c.call_date, _c.params, _c.body)
        .where(
            _c.route == route,
            _c.call_date == day,
            succeeded(),
        )
        .order_by(_c.called_at, _c.call_id)
    )
    if ids is not None:
        query = query.where(_c.entity_id.in_(sorted(set(ids))))
    found = []
    for call_id, called_at, call_date, params, body in conn.execute(query):
        if called_at.tzinfo is None:
            called_at = called_at.replace(tzinfo=dt.UTC)
        found.append((Answer(call_id, called_at, call_date), json.loads(params), body))
    return found


def list_rows(
    conn: sa.Connection, day: dt.date
) -> dict[tuple[str, int], tuple[Answer, float, int]]:
    """(product id, period) -> (answer, revenue, sales) from the shop lists answered on `day`.

    A later answer of the same product and period replaces an earlier one. Rows missing
    `revenue` or `sales`, or holding a non-number there, are left out and logged once.
    """
    rows: dict[tuple[str, int], tuple[Answer, float, int]] = {}
    refused: list[str] = []
    for answer, params, body in _answers(conn, ep.SHOP_PRODUCTS.route, day):
        period = params.get("period")
        data = body.get("data") if isinstance(body, dict) else None
        if not isinstance(period, int) or not isinstance(data, list):
            continue
        for item in data:
            if not isinstance(item, dict) or not isinstance(item.get("id"), str | int):
                continue
            product = str(item["id"])
            revenue, sales = _number(item.get("revenue")), _count(item.get("sales"))
            if revenue is None or sales is None:
                refused.append(f"{product}|{period}")
                continue
            rows[(product, period)] = (answer, revenue, sales)
    if refused:
        log.warning(
            "%d shop list row(s) without numeric revenue and sales are no source (paid "
            "instead): %s",
            len(refused),
            ", ".join(sorted(set(refused))[:20]),
        )
    return rows


def histories(
    conn: sa.Connection, day: dt.date, ids: Iterable[str]
) -> dict[str, tuple[Answer, dict[dt.date, Day | None]]]:
    """Product id -> the longest daily series answered on `day` (a later one of the same
    length wins): date -> the day, or None for a day with a missing or non-numeric value."""
    found: dict[str, tuple[int, Answer, dict[dt.date, Day | None]]] = {}
    for answer, params, body in _answers(conn, ep.PRODUCT_HISTORY.route, day, ids):
        product, period = params.get("id"), params.get("period")
        data = body.get("data") if isinstance(body, dict) else None
        if not isinstance(product, str) or not isinstance(period, int):
            continue
        if not isinstance(data, list):
            continue
        if product in found and found[product][0] > period:
            continue
        series: dict[dt.date, Day | None] = {}
        for item in data:
            try:
                date = dt.date.fromisoformat(str(item["date"])[:10])
            except (KeyError, TypeError, ValueError):
                continue
            revenue, sales = _number(item.get("revenue")), _count(item.get("sales"))
            ok = revenue is not None and sales is not None and date not in series
            series[date] = Day(date, revenue, sales) if ok else None  # type: ignore[arg-type]
        found[product] = (period, answer, series)
    return {product: (answer, series) for product, (_, answer, series) in found.items()}


def window(day: dt.date, period: int) -> list[dt.date]:
    """The dates of the `period` days ending the day before `day`, oldest first."""
    return [day - dt.timedelta(days=n) for n in range(period, 0, -1)]


def _from_history(
    key: str, entity_id: str, period: int, day: dt.date, found: tuple[Answer, Mapping]
) -> Derivation | None:
    answer, series = found
    days = [series.get(date) for date in window(day, period)]
    if any(d is None for d in days):  # a missing or unreadable day: no answer for this window
        return None
    kept = tuple(d for d in days if d is not None)
    return Derivation(
        key,
        entity_id,
        period,
        PRODUCT_HISTORY,
        answer,
        revenue=float(sum(d.revenue for d in kept)),
        sales=sum(d.sales for d in kept),
        days=kept,
    )


def derivations(
    engine: sa.Engine,
    asset: str,
    keys: Sequence[tuple[str, str, int]],
    day: dt.date,
    *,
    allowed: Iterable[str] | None = None,
) -> dict[str, Derivation]:
    """Partition key -> its cheapest derivation from `day`'s answers, for (key, id, period)
    of a derivable asset; partitions no answer holds are left out. `allowed` limits the
    sources (a source distrusted today is not offered)."""
    permitted = None if allowed is None else set(allowed)  # once: `allowed` may be an iterator
    sources = [s for s in SOURCES_OF.get(asset, ()) if permitted is None or s in permitted]
    if not sources or not keys:
        return {}
    with engine.connect() as conn:
        lists = list_rows(conn, day) if SHOP_PRODUCTS in sources else {}
        series = (
            histories(conn, day, {entity_id for _, entity_id, _ in keys})
            if PRODUCT_HISTORY in sources
            else {}
        )
    found: dict[str, Derivation] = {}
    for key, entity_id, period in keys:
        for source in sources:
            derived: Derivation | None = None
            if source == SHOP_PRODUCTS and (row := lists.get((entity_id, period))):
                answer, revenue, sales = row
                derived = Derivation(key, entity_id, period, source, answer, revenue, sales)
            elif source == PRODUCT_HISTORY and entity_id in series:
                derived = _from_history(key, entity_id, period, day, series[entity_id])
            if derived is not None:
                found[key] = derived
                break
    return found


@dataclasses.dataclass
class Resolution:
    """Where each partition of a run of one derivable asset gets its numbers."""

    paid: list[str]
    """Requested (the journal still serves a request answered today, free)."""
    derived: dict[str, Derivation]
    """Answered by a trusted source: no request."""
    samples: dict[str, Derivation]
    """Paid first and compared with their derivation, to decide whether to trust a source."""
    pending: dict[str, Derivation]
    """Derived once their source's samples agreed, else paid."""

    @classmethod
    def all_paid(cls, keys: Sequence[str]) -> Resolution:
        return cls(list(keys), {}, {}, {})

    def settle(self, trusted: Iterable[str]) -> None:
        """After the samples: pending partitions of trusted sources are derived, others paid."""
        keep = set(trusted)
        for key, derivation in sorted(self.pending.items()):
            if derivation.source in keep:
                self.derived[key] = derivation
            else:
                self.paid.append(key)
        self.pending = {}

    def counts(self) -> dict[str, int]:
        """Partitions per source so far (`api` counts paid and sampled partitions)."""
        counts = {API: len(self.paid) + len(self.samples)}
        for derivation in self.derived.values():
            counts[derivation.source] = counts.get(derivation.source, 0) + 1
        return counts


LIST_LOOKBACK_DAYS = 7
"""How far back the planner looks for a shop's last known list, to foresee what a list
fetched in the same plan will hold."""


def listed_products(
    engine: sa.Engine, lists: Iterable[tuple[str, int]], today: dt.date
) -> set[tuple[str, int]]:
    """(product id, period) named by the newest known answers of the given shop lists
    (shop id, period) of the last `LIST_LOOKBACK_DAYS` days: what those lists, fetched again
    today, will most likely hold."""
    wanted = set(lists)
    if not wanted:
        return set()
    shops = {shop for shop, _ in wanted}
    query = (
        sa.select(_c.entity_id, _c.params, _c.body)
        .where(
            _c.route == ep.SHOP_PRODUCTS.route,
            _c.entity_id.in_(sorted(shops)),
            _c.call_date >= today - dt.timedelta(days=LIST_LOOKBACK_DAYS),
            succeeded(),
        )
        .order_by(_c.called_at, _c.call_id)
    )
    newest: dict[tuple[str, int, Any], Any] = {}
    with engine.connect() as conn:
        for shop, params, body in conn.execute(query):
            p = json.loads(params)
            period = p.get("period")
            if (shop, period) in wanted:
                newest[(shop, period, p.get("page"))] = body
    found: set[tuple[str, int]] = set()
    for (_, period, _), body in newest.items():
        data = body.get("data") if isinstance(body, dict) else None
        for item in data if isinstance(data, list) else ():
            if isinstance(item, dict) and isinstance(item.get("id"), str | int):
                found.add((str(item["id"]), period))
    return found
