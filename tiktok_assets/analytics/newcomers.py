"""New products: products first seen within the last N days (14 by default).

Evidence that a product exists, per product:

- **a tracked list** (`shop_products`, `creator_products`): the first snapshot date the
  product is in a list. It counts as an *entry* only when that list had been fetched before
  without it (the owner's first list date is earlier): a product present in the very first
  fetch of a list was there already, it is not new.
- **`product_history`**: the first date with sales > 0. It counts as a *first sale* only when
  the history has an earlier day (with no sales): a series starting on a day with sales does
  not say when selling began.

`first_seen_date` is the earliest evidence of either kind; the product is new when that date
is within the last N days and the evidence is an entry or a first sale. `rank_on_entry` is
its best rank in a list on that day (null when first seen in the history);
`revenue_since_first_seen` sums its daily revenue since then; `early_growth` compares the mean
daily revenue of the second half of those days with the first half's (`second / first − 1`;
null with fewer than 2 days or a first half of 0).
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

NEW_DAYS = 14

COLUMNS = [
    "product_id",
    "title",
    "shop_id",
    "first_seen_date",
    "first_seen_in",
    "list_owner_id",
    "rank_on_entry",
    "first_sales_date",
    "revenue_since_first_seen",
    "early_growth",
]


def list_entries(appearances: pd.DataFrame, owners_first: pd.DataFrame) -> pd.DataFrame:
    """`product_id, first_seen_date, first_seen_in, list_owner_id, rank_on_entry, entry`.

    `appearances`: per list row of a product's first day in each owner's list
    (`source, owner_id, product_id, snapshot_date, rank`); `owners_first`: `source, owner_id,
    first_list_date`. One row per product: its earliest appearance (best rank first).
    """
    import pandas as pd

    if appearances.empty:
        return pd.DataFrame(
            columns=[
                "product_id",
                "first_seen_date",
                "first_seen_in",
                "list_owner_id",
                "rank_on_entry",
                "entry",
            ]
        )
    frame = appearances.merge(owners_first, on=["source", "owner_id"], how="left")
    frame["entry"] = frame["snapshot_date"] > frame["first_list_date"]
    frame = frame.sort_values(
        ["product_id", "snapshot_date", "entry", "rank"],
        ascending=[True, True, False, True],
        kind="mergesort",
    ).drop_duplicates("product_id")
    return frame.rename(
        columns={
            "snapshot_date": "first_seen_date",
            "source": "first_seen_in",
            "owner_id": "list_owner_id",
            "rank": "rank_on_entry",
        }
    )[["product_id", "first_seen_date", "first_seen_in", "list_owner_id", "rank_on_entry", "entry"]]


def first_sales(dates: pd.DataFrame) -> pd.DataFrame:
    """`product_id, first_sales_date, first_sale` from `id, history_start, first_sales_date`
    (per product: its first history day and first day with sales > 0): `first_sale` says
    whether the history has an earlier day, so that the date is when selling began."""
    import pandas as pd

    frame = dates.dropna(subset=["first_sales_date"])
    if frame.empty:
        return pd.DataFrame(columns=["product_id", "first_sales_date", "first_sale"])
    frame = frame.assign(
        first_sale=pd.to_datetime(frame["history_start"])
        < pd.to_datetime(frame["first_sales_date"])
    )
    return frame.rename(columns={"id": "product_id"})[
        ["product_id", "first_sales_date", "first_sale"]
    ]


def new_products(
    entries: pd.DataFrame,
    sales: pd.DataFrame,
    history: pd.DataFrame,
    titles: pd.DataFrame,
    today: dt.date,
    days: int = NEW_DAYS,
) -> pd.DataFrame:
    """Today's `new_products` rows (see the module's docstring)."""
    import numpy as np
    import pandas as pd

    frame = entries.merge(sales, on="product_id", how="outer")
    if frame.empty:
        return pd.DataFrame(columns=COLUMNS)
    frame["first_seen_date"] = pd.to_datetime(frame["first_seen_date"])
    frame["first_sales_date"] = pd.to_datetime(frame["first_sales_date"])
    by_list = frame["first_seen_date"].notna() & (
        frame["first_sales_date"].isna() | (frame["first_seen_date"] <= frame["first_sales_date"])
    )
    by_sales = frame["first_sales_date"].notna() & ~by_list
    seen = frame["first_seen_date"].where(by_list, frame["first_sales_date"])
    valid = (by_list & frame["entry"].fillna(False).astype(bool)) | (
        by_sales & frame["first_sale"].fillna(False).astype(bool)
    )
    since = pd.Timestamp(today - dt.timedelta(days=days))
    frame = frame.assign(first_seen_date=seen)
    frame.loc[by_sales, "first_seen_in"] = "product_history"
    frame.loc[by_sales, ["list_owner_id", "rank_on_entry"]] = None
    frame = frame[valid & (seen >= since) & (seen < pd.Timestamp(today))].copy()
    if frame.empty:
        return pd.DataFrame(columns=COLUMNS)
    growth = _early_growth(history, frame[["product_id", "first_seen_date"]])
    frame = frame.merge(growth, on="product_id", how="left").merge(
        titles, on="product_id", how="left"
    )
    for column in ("title", "shop_id"):
        if column not in frame:
            frame[column] = None
    frame["rank_on_entry"] = pd.to_numeric(frame["rank_on_entry"]).astype("Int64")
    frame["early_growth"] = frame["early_growth"].astype("float64").replace([np.inf], np.nan)
    return frame.sort_values(["first_seen_date", "product_id"], ascending=[False, True])[COLUMNS]


def _early_growth(history: pd.DataFrame, seen: pd.DataFrame) -> pd.DataFrame:
    import numpy as np
    import pandas as pd

    if history.empty:
        return pd.DataFrame(columns=["product_id", "revenue_since_first_seen", "early_growth"])
    h = history.rename(columns={"id": "product_id"}).merge(seen, on="product_id")
    h = h[h["date"] >= h["first_seen_date"]].sort_values(["product_id", "date"])
    h["revenue"] = pd.to_numeric(h["revenue"], errors="coerce").astype("float64")
    rows = []
    for product_id, group in h.groupby("product_id", sort=False):
        revenue = group["revenue"].to_numpy()
        total = float(np.nansum(revenue)) if len(revenue) else None
        growth = None
        if len(revenue) >= 2:
            half = len(revenue) // 2
            first, second = np.nanmean(revenue[:half]), np.nanmean(revenue[len(revenue) - half :])
            if first > 0:
                growth = float(second / first - 1)
        rows.append((product_id, total, growth))
    return pd.DataFrame(rows, columns=["product_id", "revenue_since_first_seen", "early_growth"])
