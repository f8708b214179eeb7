"""Leaderboards: tracked products, shops and creators ranked by revenue per period.

Pure pandas functions: they take the latest `*_total` rows (one per id and period) and the
previous leaderboard, and return the rows of today's leaderboard.

- `rank` 1 is the most revenue in the period; ties go to more sales, then the smaller id, so
  ranks are unique and stable.
- `rank_change` is the previous leaderboard's rank minus today's (positive: the row climbed),
  null when the id was not on the previous leaderboard of that period.
- `numbers_date` is the snapshot date of the numbers behind the row and `data_age_days` is
  `today − numbers_date`: a product whose totals were last fetched 3 days ago says so.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

PERIODS = (1, 7, 30, 90)


def rank_totals(
    totals: pd.DataFrame, key: str, today: dt.date, previous: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Rank `totals` (`id, period, snapshot_date, revenue, sales, ...`, one row per id and
    period) by revenue within each period; the id column is renamed `key`.

    `previous` holds the previous leaderboard's `period, <key>, rank` (may be empty).
    """
    import pandas as pd

    frame = totals.rename(columns={"id": key, "snapshot_date": "numbers_date"}).copy()
    if frame.empty:
        columns = ["period", "rank", key, "revenue", "sales", "rank_change"]
        return pd.DataFrame(columns=[*columns, "numbers_date", "data_age_days"])
    frame["revenue"] = pd.to_numeric(frame["revenue"], errors="coerce").astype("float64")
    frame["sales"] = pd.to_numeric(frame["sales"], errors="coerce").astype("Int64")
    frame = frame.sort_values(
        ["period", "revenue", "sales", key],
        ascending=[True, False, False, True],
        na_position="last",
        kind="mergesort",
    )
    frame["rank"] = frame.groupby("period").cumcount() + 1
    if previous is not None and not previous.empty:
        before = previous[["period", key, "rank"]].rename(columns={"rank": "previous_rank"})
        frame = frame.merge(before, on=["period", key], how="left")
        frame["rank_change"] = (frame["previous_rank"] - frame["rank"]).astype("Int64")
        frame = frame.drop(columns="previous_rank")
    else:
        frame["rank_change"] = pd.array([pd.NA] * len(frame), dtype="Int64")
    frame["numbers_date"] = pd.to_datetime(frame["numbers_date"])
    frame["data_age_days"] = (pd.Timestamp(today) - frame["numbers_date"]).dt.days
    return frame.reset_index(drop=True)


def product_titles(
    details: pd.DataFrame, shop_lists: pd.DataFrame, creator_lists: pd.DataFrame
) -> pd.DataFrame:
    """`product_id, title, shop_id`: the latest `product_detail` title and shop, else the
    title (and shop) of the product's latest `shop_products` row, else `creator_products`."""
    import pandas as pd

    parts = []
    if not details.empty:
        d = details.rename(columns={"id": "product_id"})
        parts.append(
            d.assign(source=0)[["product_id", "title", "shop_id", "snapshot_date", "source"]]
        )
    if not shop_lists.empty:
        s = shop_lists.assign(source=1)
        parts.append(s[["product_id", "title", "shop_id", "snapshot_date", "source"]])
    if not creator_lists.empty:
        c = creator_lists.assign(source=2, shop_id=None)
        parts.append(c[["product_id", "title", "shop_id", "snapshot_date", "source"]])
    if not parts:
        return pd.DataFrame(columns=["product_id", "title", "shop_id"])
    names = pd.concat(parts, ignore_index=True)
    names = names.sort_values(
        ["product_id", "source", "snapshot_date"], ascending=[True, True, False], kind="mergesort"
    )
    titles = names.dropna(subset=["title"]).drop_duplicates("product_id")[["product_id", "title"]]
    shops = names.dropna(subset=["shop_id"]).drop_duplicates("product_id")[
        ["product_id", "shop_id"]
    ]
    return titles.merge(shops, on="product_id", how="outer")


def product_leaderboard(
    totals: pd.DataFrame,
    titles: pd.DataFrame,
    today: dt.date,
    previous: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Today's `product_leaderboard` rows from the latest `product_total` rows."""
    frame = rank_totals(totals, "product_id", today, previous)
    frame = frame.merge(titles, on="product_id", how="left") if not frame.empty else frame
    for column in ("title", "shop_id"):
        if column not in frame:
            frame[column] = None
    return frame.sort_values(["period", "rank"]).reset_index(drop=True)


def shop_leaderboard(
    totals: pd.DataFrame,
    profiles: pd.DataFrame,
    lists: pd.DataFrame,
    today: dt.date,
    previous: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Today's `shop_leaderboard`: shops by revenue, with their name (latest `shop_detail`)
    and `products` (rows in their latest `shop_products` list of the period; null when the
    list was never fetched)."""
    frame = rank_totals(totals, "shop_id", today, previous)
    names = profiles.rename(columns={"id": "shop_id"})[["shop_id", "name"]]
    frame = frame.merge(names, on="shop_id", how="left")
    return _with_list_sizes(frame, lists, "shop_id").sort_values(["period", "rank"])


def creator_leaderboard(
    totals: pd.DataFrame,
    lists: pd.DataFrame,
    today: dt.date,
    previous: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Today's `creator_leaderboard`: creators by attributed revenue, with `videos` and
    `followers` (from `creator_total`) and `products` (rows in their latest
    `creator_products` list of the period; null when the list was never fetched)."""
    frame = rank_totals(totals, "creator_id", today, previous)
    for column in ("videos", "followers"):
        if column not in frame:
            frame[column] = None
    return _with_list_sizes(frame, lists, "creator_id").sort_values(["period", "rank"])


def _with_list_sizes(frame: pd.DataFrame, lists: pd.DataFrame, owner: str) -> pd.DataFrame:
    import pandas as pd

    if lists.empty or frame.empty:
        frame["products"] = pd.array([pd.NA] * len(frame), dtype="Int64")
        return frame
    sizes = lists.groupby([owner, "period"]).size().rename("products").reset_index()
    frame = frame.merge(sizes, on=[owner, "period"], how="left")
    frame["products"] = frame["products"].astype("Int64")
    return frame
