"""Price changes of tracked products, from the prices seen in `product_detail` and
`shop_products` rows across snapshot dates.

One price per product and snapshot date: `product_detail`'s when that day has one, else the
`shop_products` rows' (the most common value that day, the lower on a tie). Consecutive
observations (by date) with different prices make one change: `change_date` is the day the
new price was first seen, `previous_date` the last day the old one was seen, and
`change_pct` = `(new − old) / old × 100` (null when the old price is 0). Only changes
within the last `LOOKBACK_DAYS` (90) are listed.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

LOOKBACK_DAYS = 90
COLUMNS = ["product_id", "change_date", "previous_date", "old_price", "new_price", "change_pct"]


def daily_prices(details: pd.DataFrame, listed: pd.DataFrame) -> pd.DataFrame:
    """`product_id, snapshot_date, price`: one observation per product and day.

    `details`: `id, snapshot_date, price` (product_detail); `listed`: `product_id,
    snapshot_date, price` (shop_products rows)."""
    import pandas as pd

    parts = []
    if not details.empty:
        parts.append(details.rename(columns={"id": "product_id"}).assign(source=0))
    if not listed.empty:
        counted = (
            listed.dropna(subset=["price"])
            .groupby(["product_id", "snapshot_date", "price"])
            .size()
            .rename("seen")
            .reset_index()
        )
        common = counted.sort_values(
            ["product_id", "snapshot_date", "seen", "price"],
            ascending=[True, True, False, True],
            kind="mergesort",
        ).drop_duplicates(["product_id", "snapshot_date"])[["product_id", "snapshot_date", "price"]]
        parts.append(common.assign(source=1))
    if not parts:
        return pd.DataFrame(columns=["product_id", "snapshot_date", "price"])
    frame = pd.concat(parts, ignore_index=True).dropna(subset=["price"])
    frame = frame.sort_values(["product_id", "snapshot_date", "source"], kind="mergesort")
    frame = frame.drop_duplicates(["product_id", "snapshot_date"])
    return frame[["product_id", "snapshot_date", "price"]].reset_index(drop=True)


def price_changes(prices: pd.DataFrame, today: dt.date) -> pd.DataFrame:
    """Today's `price_changes` rows from `daily_prices` observations."""
    import numpy as np
    import pandas as pd

    if prices.empty:
        return pd.DataFrame(columns=COLUMNS)
    frame = prices.sort_values(["product_id", "snapshot_date"]).copy()
    frame["price"] = frame["price"].astype("float64")
    same = frame["product_id"].eq(frame["product_id"].shift())
    frame["old_price"] = frame["price"].shift().where(same)
    frame["previous_date"] = frame["snapshot_date"].shift().where(same)
    changed = same & ~np.isclose(frame["price"], frame["old_price"].fillna(frame["price"]))
    since = pd.Timestamp(today - dt.timedelta(days=LOOKBACK_DAYS))
    frame = frame[changed & (frame["snapshot_date"] >= since)]
    out = frame.rename(columns={"snapshot_date": "change_date", "price": "new_price"})
    with np.errstate(divide="ignore", invalid="ignore"):
        pct = (out["new_price"] - out["old_price"]) / out["old_price"] * 100
    out = out.assign(change_pct=pct.where(out["old_price"] != 0).round(4))
    return out[COLUMNS].sort_values(["change_date", "product_id"], ascending=[False, True])
