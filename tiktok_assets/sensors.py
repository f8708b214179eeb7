"""The tracking sensors: seed ids from `tracked.yaml`, discover products and creators.

- `tracked_ids_sensor` reads `tracked.yaml` (`TIKTOK_TRACKED_FILE`) when it changes, adds
  its ids that are not tracked (any entity) and launches every job of each new id;
- `product_discovery_sensor` reads the rows of new `shop_products`, `creator_products` and
  `video_detail` materializations, adds to `product_ids` and launches `product_detail_job`
  and `product_period_job`;
- `creator_discovery_sensor` reads new `video_detail` rows (and creator ids in lists, if the
  vendor ever adds them), adds to `creator_ids` and launches `creator_period_job`;
- `shop_discovery_sensor` ranks the shops the products' profiles and the creators' lists name
  and admits them into `shop_ids` while the day's credits pay (`tiktok_assets.refresh.shops`);
- `derived_refresh_sensor` launches the product totals a refresh left for after its lists;
- `refresh_launch_sensor` launches the runs a refresh schedule recorded.

Each returns a `SensorResult` (partition requests, ranged run requests, a cursor) and never
changes the instance itself; what a tick decides is in `tiktok_assets.refresh` (the ticks
are imported when a sensor evaluates, not when the code location loads). All but
`refresh_launch_sensor` are STOPPED by default because the runs they request spend credits:
start them in the UI (Automation), with `dagster sensor start`, or set
`TIKTOK_AUTOMATION_DEFAULT_STATUS=running`.
"""

from __future__ import annotations

from dagster import (
    DefaultSensorStatus,
    SensorDefinition,
    SensorEvaluationContext,
    SensorResult,
    sensor,
)

from tiktok_assets.api.resource import TikTokShopAPI
from tiktok_assets.catalog import SOURCES_OF
from tiktok_assets.economy.resource import CreditBudgetResource
from tiktok_assets.jobs import FAMILIES, families_of
from tiktok_assets.settings import Settings
from tiktok_assets.warehouse import Warehouse

DERIVED_INTERVAL_SECONDS = 60
LAUNCH_INTERVAL_SECONDS = 15


def _tracked_ids_sensor(status: DefaultSensorStatus, interval: int) -> SensorDefinition:
    @sensor(
        name="tracked_ids_sensor",
        jobs=[f.job for f in FAMILIES.values()],
        minimum_interval_seconds=interval,
        default_status=status,
        description=(
            "Adds the ids listed in tracked.yaml (TIKTOK_TRACKED_FILE) that are not tracked yet "
            "and requests their first fetch as ranged runs. Acts when the file changes; an "
            "invalid id fails the tick and adds nothing."
        ),
    )
    def tracked_ids_sensor(
        context: SensorEvaluationContext,
        warehouse: Warehouse,
        api: TikTokShopAPI,
        credit_budget: CreditBudgetResource,
    ) -> SensorResult:
        from tiktok_assets.economy.pricing import Pricing
        from tiktok_assets.refresh.first_fetch import tracked_ids_tick
        from tiktok_assets.refresh.settings import refresh_settings
        from tiktok_assets.tracking.seeds import tracked_file
        from tiktok_assets.tracking.settings import discovery_settings

        return tracked_ids_tick(
            context.instance,
            context.cursor,
            path=tracked_file(),
            pricing=Pricing.from_resources(warehouse, api, credit_budget),
            discovery=discovery_settings(),
            settings=refresh_settings(),
            log=context.log,
            name="tracked_ids_sensor",
        )

    return tracked_ids_sensor


def _discovery_sensor(
    name: str, entity: str, description: str, status: DefaultSensorStatus, interval: int
) -> SensorDefinition:
    """The discovery sensor of one entity (`product` or `creator`): new ids named by the new
    rows of its feeds (`tiktok_assets.tracking.discovery`)."""

    @sensor(
        name=name,
        jobs=[f.job for f in families_of(entity)],
        minimum_interval_seconds=interval,
        default_status=status,
        description=description,
    )
    def _discover(
        context: SensorEvaluationContext,
        warehouse: Warehouse,
        api: TikTokShopAPI,
        credit_budget: CreditBudgetResource,
    ) -> SensorResult:
        from tiktok_assets.economy.pricing import Pricing
        from tiktok_assets.refresh.first_fetch import discovery_tick
        from tiktok_assets.refresh.settings import refresh_settings
        from tiktok_assets.tracking.discovery import FEEDS
        from tiktok_assets.tracking.settings import discovery_settings

        return discovery_tick(
            context.instance,
            context.cursor,
            entity=entity,
            feeds=FEEDS[entity],
            pricing=Pricing.from_resources(warehouse, api, credit_budget),
            discovery=discovery_settings(),
            settings=refresh_settings(),
            log=context.log,
            name=name,
        )

    return _discover


def _shop_discovery_sensor(status: DefaultSensorStatus, interval: int) -> SensorDefinition:
    @sensor(
        name="shop_discovery_sensor",
        jobs=[f.job for f in families_of("shop")],
        minimum_interval_seconds=interval,
        default_status=status,
        description=(
            "After product_detail or creator_products materialize, ranks the shops they name "
            "(by the revenue of their products seen and the tracked creators selling them), "
            "admits them into shop_ids in that order while the day's credits pay for their "
            "first fetch, and records every candidate and why in discovery_candidates "
            "(TIKTOK_DISCOVER_SHOPS=0: recorded, never admitted)."
        ),
    )
    def shop_discovery_sensor(
        context: SensorEvaluationContext,
        warehouse: Warehouse,
        api: TikTokShopAPI,
        credit_budget: CreditBudgetResource,
    ) -> SensorResult:
        from tiktok_assets.economy.pricing import Pricing
        from tiktok_assets.refresh.settings import refresh_settings
        from tiktok_assets.refresh.shops import shop_discovery_tick
        from tiktok_assets.tracking.settings import discovery_settings

        return shop_discovery_tick(
            context.instance,
            context.cursor,
            pricing=Pricing.from_resources(warehouse, api, credit_budget),
            discovery=discovery_settings(),
            settings=refresh_settings(),
            log=context.log,
            name="shop_discovery_sensor",
        )

    return shop_discovery_sensor


def _derived_refresh_sensor(status: DefaultSensorStatus) -> SensorDefinition:
    @sensor(
        name="derived_refresh_sensor",
        # The jobs whose partitions the day's shop lists can answer (`daily.derives_from_lists`).
        jobs=[f.job for f in FAMILIES.values() if any(a in SOURCES_OF for a in f.assets)],
        minimum_interval_seconds=DERIVED_INTERVAL_SECONDS,
        default_status=status,
        description=(
            "Lists first: once a refresh schedule's runs of the day (shop lists among them) "
            "have finished, launches the product-total runs it left for later, so their numbers "
            "are derived from today's lists (after a verified sample) instead of paid. Once "
            "per schedule and day."
        ),
    )
    def derived_refresh_sensor(
        context: SensorEvaluationContext,
        warehouse: Warehouse,
        api: TikTokShopAPI,
        credit_budget: CreditBudgetResource,
    ) -> SensorResult:
        from tiktok_assets.economy.pricing import Pricing
        from tiktok_assets.refresh.daily import derived_refresh_tick
        from tiktok_assets.refresh.settings import refresh_settings

        return derived_refresh_tick(
            context.instance,
            context.cursor,
            pricing=Pricing.from_resources(warehouse, api, credit_budget),
            settings=refresh_settings(),
            log=context.log,
            name="derived_refresh_sensor",
        )

    return derived_refresh_sensor


@sensor(
    name="refresh_launch_sensor",
    jobs=[f.job for f in FAMILIES.values()],
    minimum_interval_seconds=LAUNCH_INTERVAL_SECONDS,
    # RUNNING whatever TIKTOK_AUTOMATION_DEFAULT_STATUS: it spends nothing of its own, it
    # launches what a started refresh schedule (or a user) recorded in refresh_requests today.
    default_status=DefaultSensorStatus.RUNNING,
    description=(
        "Launches the runs a refresh schedule recorded in refresh_requests (or a user, by "
        "materializing one of its partitions), each on its own job, once. A recording of an "
        "earlier day is not launched."
    ),
)
def refresh_launch_sensor(context: SensorEvaluationContext) -> SensorResult:
    from tiktok_assets.refresh.handoff import launch_refresh_tick

    return launch_refresh_tick(
        context.instance, context.cursor, log=context.log, name="refresh_launch_sensor"
    )


def tracking_sensors(settings: Settings) -> list[SensorDefinition]:
    """Every tracking sensor; those that spend credits start as
    `TIKTOK_AUTOMATION_DEFAULT_STATUS` says, and the seeding and discovery sensors tick every
    `TIKTOK_DISCOVERY_INTERVAL_SECONDS` (`settings`)."""
    status = (
        DefaultSensorStatus.RUNNING if settings.automation_running else DefaultSensorStatus.STOPPED
    )
    interval = settings.tiktok_discovery_interval_seconds
    return [
        _tracked_ids_sensor(status, interval),
        _discovery_sensor(
            "product_discovery_sensor",
            "product",
            "After shop_products, creator_products or video_detail materialize, adds the product "
            "ids they name that are not tracked (lists: top TIKTOK_DISCOVERY_TOP_N by revenue; "
            "at most TIKTOK_DISCOVERY_MAX_NEW_IDS_PER_TICK per tick; within the credit budget, "
            "each product priced at its marginal cost) and requests their detail and aggregates.",
            status,
            interval,
        ),
        _discovery_sensor(
            "creator_discovery_sensor",
            "creator",
            "After video_detail materializes, adds the creator ids it names that are not tracked "
            "(at most TIKTOK_DISCOVERY_MAX_NEW_IDS_PER_TICK per tick, within the credit budget) "
            "and requests their totals and product lists.",
            status,
            interval,
        ),
        _shop_discovery_sensor(status, interval),
        _derived_refresh_sensor(status),
        refresh_launch_sensor,
    ]
