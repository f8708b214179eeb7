"""Creator ↔ product links: which creators sell which products.

A pair is linked when the product is in the creator's latest `creator_products` list (any
period) or a video of the creator (latest `video_detail`) shows the product. The creator's
attributed revenue and sales for the product come from the list of the longest period
fetched (`period`, `numbers_date`); pairs seen only in videos have none. `videos` counts the
creator's videos of the product.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

COLUMNS = [
    "creator_id",
    "product_id",
    "in_creator_list",
    "videos",
    "period",
    "attributed_revenue",
    "attributed_sales",
    "numbers_date",
]


def creator_product_links(lists: pd.DataFrame, videos: pd.DataFrame, today: dt.date):
    """Today's rows: `lists` are the latest `creator_products` rows (`creator_id, period,
    snapshot_date, product_id, revenue, sales`), `videos` the latest `video_detail` rows
    (`id, creator_id, product_id`)."""
    import pandas as pd

    keys = ["creator_id", "product_id"]
    if lists.empty:
        listed = pd.DataFrame(
            columns=[*keys, "period", "attributed_revenue", "attributed_sales", "numbers_date"]
        )
    else:
        listed = lists.sort_values([*keys, "period"], ascending=[True, True, False])
        listed = listed.drop_duplicates(keys).rename(
            columns={
                "revenue": "attributed_revenue",
                "sales": "attributed_sales",
                "snapshot_date": "numbers_date",
            }
        )[[*keys, "period", "attributed_revenue", "attributed_sales", "numbers_date"]]
    listed = listed.assign(in_creator_list=True)
    shown = videos.dropna(subset=keys) if not videos.empty else videos
    counts = (
        shown.groupby(keys).size().rename("videos").reset_index()
        if not shown.empty
        else pd.DataFrame(columns=[*keys, "videos"])
    )
    frame = listed.merge(counts, on=keys, how="outer")
    if frame.empty:
        return pd.DataFrame(columns=COLUMNS)
    frame["in_creator_list"] = frame["in_creator_list"].astype("boolean").fillna(False)
    frame["videos"] = pd.to_numeric(frame["videos"]).fillna(0).astype("int64")
    frame["period"] = pd.to_numeric(frame["period"]).astype("Int64")
    frame["attributed_sales"] = pd.to_numeric(frame["attributed_sales"]).astype("Int64")
    return frame.sort_values(keys).reset_index(drop=True)[COLUMNS]
