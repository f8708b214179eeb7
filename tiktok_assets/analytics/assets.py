"""The analytics assets: unpartitioned, free (they read the warehouse, never the API), each
writing the table of its name with one row set per `snapshot_date` (today's is replaced on a
re-run). Each materialization shows a Markdown preview of the top rows with a chart, and
numbers Dagster plots across materializations (`tiktok_assets.analytics.build`, imported
when an asset runs, with pandas and SQLAlchemy: defining the assets needs neither).
"""

from dagster import AssetExecutionContext, AssetsDefinition, MaterializeResult, MetadataValue, asset

from tiktok_assets import clock
from tiktok_assets.analytics.automation import GROUP, refresh_condition
from tiktok_assets.warehouse import Warehouse


def _analytics_asset(name: str, deps: list[str], doc: str) -> AssetsDefinition:
    @asset(
        name=name,
        group_name=GROUP,
        deps=deps,
        automation_condition=refresh_condition(),
        kinds={"pandas"},
        description=doc,
    )
    def _asset(context: AssetExecutionContext, warehouse: Warehouse) -> MaterializeResult:
        from tiktok_assets.analytics.build import refresh

        result = refresh(warehouse, name)
        context.log.info(f"{name}: {result.metadata['dagster/row_count'].value} rows")
        return result

    return _asset


product_leaderboard = _analytics_asset(
    "product_leaderboard",
    ["product_total", "product_detail", "shop_products", "creator_products"],
    """One row: a tracked product's rank by revenue in one period (1, 7, 30, 90 days) on one
    day, from its latest `product_total` snapshot: `rank` (1 = most revenue), `revenue`,
    `sales`, `title` and `shop_id` (latest `product_detail`, else `shop_products`),
    `rank_change` (previous leaderboard rank − today's; null when new) and `data_age_days`
    (today − the snapshot date of the numbers).""",
)
product_movers = _analytics_asset(
    "product_movers",
    ["product_history"],
    """One row: a product's week-over-week revenue on one day: `revenue_7d` (the 7 days
    ending yesterday) and `revenue_prev_7d` (the 7 before) from `product_history`, `growth`
    (null when a week misses a day or the previous week is 0), `slope_14d` (least squares,
    revenue per day) and `trend`: `up` at growth ≥ +15 %, `down` at ≤ −15 %, else `stable`.""",
)
new_products = _analytics_asset(
    "new_products",
    ["shop_products", "creator_products", "product_history", "product_detail"],
    """One row: a product first seen in the last 14 days, as an entry in a tracked list
    (`shop_products`, `creator_products`; not the list's first fetch) or as its first sale in
    `product_history`, with the first-seen date, its rank on entry and early growth.""",
)
price_changes = _analytics_asset(
    "price_changes",
    ["product_detail", "shop_products", "product_total"],
    """One row: a change of a tracked product's price seen across snapshot dates of
    `product_detail` and `shop_products` (last 90 days): the date the new price was first
    seen, old and new price and the change in %.""",
)
shop_leaderboard = _analytics_asset(
    "shop_leaderboard",
    ["shop_total", "shop_detail", "shop_products"],
    """One row: a tracked shop's rank by revenue in one period on one day (latest
    `shop_total`), with its name, sales, listed products, rank change and data age.""",
)
creator_leaderboard = _analytics_asset(
    "creator_leaderboard",
    ["creator_total", "creator_products"],
    """One row: a tracked creator's rank by attributed revenue in one period on one day
    (latest `creator_total`), with sales, products, videos, followers, rank change and age.""",
)
creator_product_links = _analytics_asset(
    "creator_product_links",
    ["creator_products", "video_detail"],
    """One row: a creator selling a product on one day (the product is in the creator's
    latest `creator_products` list or one of the creator's videos), with the creator's
    attributed revenue and sales (longest period fetched) and the number of videos.""",
)


@asset(
    name="alerts",
    group_name=GROUP,
    deps=[
        product_movers,
        price_changes,
        creator_product_links,
        product_leaderboard,
        "shop_products",
    ],
    automation_condition=refresh_condition(),
    kinds={"pandas"},
)
def alerts(context: AssetExecutionContext, warehouse: Warehouse) -> MaterializeResult:
    """One row of table `alerts`: one firing of a watch rule of `alerts.yaml` (a 7-day sales
    drop, a price cut, a new entrant in a shop's top N, a creator starting to promote a
    tracked product), recorded once by its dedupe key, with `delivered_at` set once the
    webhook (`TIKTOK_ALERT_WEBHOOK_URL`) accepted it. Pending alerts are retried at every
    evaluation. An invalid `alerts.yaml` fails the evaluation and changes nothing."""
    from tiktok_assets.analytics.alerts import alert_settings_from_env, run_alerts

    settings = alert_settings_from_env()
    summary = run_alerts(warehouse.engine, settings, clock.today(), clock.now())
    for error in summary.errors:
        context.log.warning(f"alert not delivered (stays pending): {error}")
    lines = [f"**{summary.rules} rules, {len(summary.fired)} firing today, {summary.new} new.**"]
    if not settings.webhook_url:
        lines.append("No webhook (`TIKTOK_ALERT_WEBHOOK_URL` unset): alerts are recorded only.")
    if not summary.rules:
        lines.append(f"No rules: `{settings.rules_file.name}` is missing or has none.")
    lines += [f"- {f.text}" for f in summary.fired[:10]]
    return MaterializeResult(
        metadata={
            "preview": MetadataValue.md("\n\n".join(lines[:2]) + "\n\n" + "\n".join(lines[2:])),
            "rules": MetadataValue.int(summary.rules),
            "fired": MetadataValue.int(len(summary.fired)),
            "new": MetadataValue.int(summary.new),
            "delivered": MetadataValue.int(summary.delivered),
            "pending": MetadataValue.int(summary.pending),
        }
    )


analytics_assets = [
    product_leaderboard,
    product_movers,
    new_products,
    price_changes,
    shop_leaderboard,
    creator_leaderboard,
    creator_product_links,
    alerts,
]
