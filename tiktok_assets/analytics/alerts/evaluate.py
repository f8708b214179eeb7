"""Which watch rules fire today, from the analytics tables (and the shops' ranked lists).

Each firing has a dedupe key, so that it lands once in table `alerts` however often the
evaluation runs:

- `sales_drop`: a tracked product's row in today's `product_movers` with both weeks
  complete, the previous week's sales > 0 and 7-day sales down more than `percent` %.
  Key: rule, product, day (at most once a day).
- `price_cut`: a `price_changes` row cutting the price by at least `percent` %.
  Key: rule, product, change date (once per change).
- `new_in_top`: a product in a shop's latest `shop_products` top `top` (period `period`)
  that was not in the top `top` of the shop's previous list (needs a previous list).
  Key: rule, shop, product, list date.
- `creator_promotes`: a (creator, tracked product) pair of today's `creator_product_links`
  absent from the previous snapshot (needs one). Key: rule, creator, product (once).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import TYPE_CHECKING, Any

from tiktok_assets.analytics.alerts.rules import Rule

if TYPE_CHECKING:
    import pandas as pd


@dataclasses.dataclass(frozen=True)
class Firing:
    dedupe_key: str
    rule: str
    kind: str
    entity_id: str
    fired_on: dt.date
    text: str
    details: dict[str, Any]

    @classmethod
    def of(
        cls,
        rule: Rule,
        key: tuple[object, ...],
        *,
        entity_id: str,
        fired_on: dt.date,
        text: str,
        details: dict[str, Any],
    ) -> Firing:
        """A firing of `rule`, recorded once by `rule|key...` (its dedupe key); `text` is
        prefixed with the rule's name."""
        return cls(
            dedupe_key="|".join(str(part) for part in (rule.name, *key)),
            rule=rule.name,
            kind=rule.kind,
            entity_id=entity_id,
            fired_on=fired_on,
            text=f"[{rule.name}] {text}",
            details=details,
        )


@dataclasses.dataclass(frozen=True)
class Inputs:
    """What the rules read, for one day."""

    tracked: frozenset[str]
    movers: pd.DataFrame
    price_changes: pd.DataFrame
    links_today: pd.DataFrame
    links_before: pd.DataFrame | None
    shop_lists: pd.DataFrame
    """`shop_id, period, snapshot_date, rank, product_id, title` (top rows only)."""
    titles: dict[str, str]


def evaluate(rules: list[Rule], data: Inputs, today: dt.date) -> list[Firing]:
    """Every firing of `rules` on `data` (in rule order)."""
    firings: list[Firing] = []
    for rule in rules:
        firings += _KINDS[rule.kind](rule, data, today)
    return firings


def _name(data: Inputs, product_id: str) -> str:
    title = data.titles.get(product_id)
    return f"{title} ({product_id})" if title else product_id


def _wanted(rule: Rule, entity_id: str) -> bool:
    return rule.ids is None or entity_id in rule.ids


def _sales_drop(rule: Rule, data: Inputs, today: dt.date) -> list[Firing]:
    out = []
    threshold = float(rule.param("percent"))
    frame = data.movers
    for row in frame.itertuples(index=False):
        pid = str(row.product_id)
        if pid not in data.tracked or not _wanted(rule, pid):
            continue
        if row.days_7d != 7 or row.days_prev_7d != 7:
            continue
        prev, last = row.sales_prev_7d, row.sales_7d
        if prev is None or last is None or _isna(prev) or _isna(last) or prev <= 0:
            continue
        change = (float(last) / float(prev) - 1) * 100
        if change < -threshold:
            out.append(
                Firing.of(
                    rule,
                    (pid, today.isoformat()),
                    entity_id=pid,
                    fired_on=today,
                    text=f"7-day sales of {_name(data, pid)} down "
                    f"{-change:.1f} %: {int(last)} vs {int(prev)} the week before",
                    details={
                        "sales_7d": int(last),
                        "sales_prev_7d": int(prev),
                        "change_pct": round(change, 2),
                    },
                )
            )
    return out


def _price_cut(rule: Rule, data: Inputs, today: dt.date) -> list[Firing]:
    out = []
    threshold = float(rule.param("percent"))
    for row in data.price_changes.itertuples(index=False):
        pid = str(row.product_id)
        if not _wanted(rule, pid) or _isna(row.change_pct):
            continue
        if row.new_price < row.old_price and -float(row.change_pct) >= threshold:
            day = _day(row.change_date)
            out.append(
                Firing.of(
                    rule,
                    (pid, day.isoformat()),
                    entity_id=pid,
                    fired_on=today,
                    text=f"price cut on {_name(data, pid)}: {row.old_price:.2f} → "
                    f"{row.new_price:.2f} ({float(row.change_pct):+.1f} %) on {day.isoformat()}",
                    details={
                        "old_price": float(row.old_price),
                        "new_price": float(row.new_price),
                        "change_pct": float(row.change_pct),
                        "change_date": day.isoformat(),
                    },
                )
            )
    return out


def _new_in_top(rule: Rule, data: Inputs, today: dt.date) -> list[Firing]:
    top, period = int(rule.param("top")), int(rule.param("period"))
    lists = data.shop_lists
    if lists.empty:
        return []
    lists = lists[(lists["period"] == period) & (lists["rank"] <= top)]
    if rule.ids is not None:
        lists = lists[lists["shop_id"].isin(rule.ids)]
    dates = lists[["shop_id", "snapshot_date"]].drop_duplicates()
    dates = dates.assign(
        age=dates.groupby("shop_id")["snapshot_date"].rank(method="dense", ascending=False)
    )
    lists = lists.merge(dates, on=["shop_id", "snapshot_date"])
    latest = lists[lists["age"] == 1]
    previous = lists[lists["age"] == 2][["shop_id", "product_id"]].assign(was_there=True)
    entered = latest[latest["shop_id"].isin(set(previous["shop_id"]))].merge(
        previous, on=["shop_id", "product_id"], how="left"
    )
    entered = entered[entered["was_there"].isna()]
    out = []
    for row in entered.itertuples(index=False):
        pid, shop_id = str(row.product_id), str(row.shop_id)
        day = _day(row.snapshot_date)
        title = row.title if isinstance(row.title, str) else data.titles.get(pid)
        label = f"{title} ({pid})" if title else pid
        out.append(
            Firing.of(
                rule,
                (shop_id, pid, day.isoformat()),
                entity_id=pid,
                fired_on=today,
                text=f"{label} entered shop {shop_id}'s top {top} "
                f"({period}-day revenue) at rank {int(row.rank)}",
                details={
                    "shop_id": shop_id,
                    "rank": int(row.rank),
                    "period": period,
                    "list_date": day.isoformat(),
                },
            )
        )
    return out


def _creator_promotes(rule: Rule, data: Inputs, today: dt.date) -> list[Firing]:
    if data.links_before is None or data.links_today.empty:
        return []
    before = set(zip(data.links_before["creator_id"], data.links_before["product_id"], strict=True))
    out = []
    for row in data.links_today.itertuples(index=False):
        pair = (row.creator_id, row.product_id)
        pid = str(row.product_id)
        if pair in before or pid not in data.tracked or not _wanted(rule, pid):
            continue
        out.append(
            Firing.of(
                rule,
                (row.creator_id, pid),
                entity_id=pid,
                fired_on=today,
                text=f"creator {row.creator_id} started promoting {_name(data, pid)}",
                details={"creator_id": str(row.creator_id), "videos": int(row.videos)},
            )
        )
    return out


def _isna(value: Any) -> bool:
    import pandas as pd

    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def _day(value: Any) -> dt.date:
    import pandas as pd

    return pd.Timestamp(value).date()


_KINDS = {
    "sales_drop": _sales_drop,
    "price_cut": _price_cut,
    "new_in_top": _new_in_top,
    "creator_promotes": _creator_promotes,
}
