"""The projected monthly cost of the tracked set and the ceiling discovery keeps."""

from __future__ import annotations

import pytest

from tiktok_assets.refresh.projection import (
    monthly_cost_of_a_listed_product,
    monthly_requests_per_id,
    projection,
)
from tiktok_assets.refresh.settings import HistoryCadence, RefreshSettings

CADENCES = RefreshSettings().cadences


@pytest.mark.parametrize(
    ("entity", "expected"),
    [
        # daily: 30.44 x (profile + 2 assets x periods 1, 7); weekly: 4.35 x (2 x periods 30, 90)
        ("shop", 30.44 * 5 + 4.35 * 4),
        ("product", 30.44 * 5 + 4.35 * 4),
        ("creator", 30.44 * 4 + 4.35 * 4),
        # video: profile + metrics 1, 7 daily; metrics 30 weekly
        ("video", 30.44 * 3 + 4.35 * 1),
    ],
)
def test_monthly_requests_per_id_with_the_default_cadences(entity: str, expected: float) -> None:
    assert monthly_requests_per_id(entity, CADENCES) == pytest.approx(expected, rel=0.01)


def test_credits_left_is_what_fits_under_the_ceiling() -> None:
    outlook = projection(
        {"shop": 1, "product": 10, "creator": 0, "video": 0},
        CADENCES,
        usable_credits=20_000,
        budget_share=1.0,
    )
    per_product = monthly_requests_per_id("product", CADENCES)
    assert outlook.monthly_credits == pytest.approx(11 * per_product)
    assert outlook.credits_left() == pytest.approx(20_000 - 11 * per_product)
    assert not outlook.over
    assert "projected refresh" in outlook.describe()


def test_over_budget_allows_nothing_and_share_zero_disables_the_rule() -> None:
    counts = {"shop": 0, "product": 500, "creator": 0, "video": 0}
    over = projection(counts, CADENCES, usable_credits=20_000, budget_share=1.0)
    assert over.over and over.credits_left() == 0
    off = projection(counts, CADENCES, usable_credits=20_000, budget_share=0)
    assert not off.over and off.credits_left() is None
    half = projection(counts, CADENCES, usable_credits=400_000, budget_share=0.5)
    assert half.ceiling == 200_000


def test_a_listed_product_costs_its_share_of_the_list_not_four_totals() -> None:
    # Its totals (2 periods daily, 2 weekly) are derived; it pays 1/50 of a list page per
    # period and refresh, plus its profile and daily series like any product.
    listed = monthly_cost_of_a_listed_product(CADENCES)
    expected = 30.44 * 3 + 4.35 * 2 + (30.44 * 2 + 4.35 * 2) / 50
    assert listed == pytest.approx(expected, rel=0.01)
    full = monthly_requests_per_id("product", CADENCES)
    assert listed < 0.6 * full
    counts = {"shop": 1, "product": 100, "creator": 0, "video": 0}
    plain = projection(counts, CADENCES, usable_credits=20_000, budget_share=1.0)
    on_lists = projection(counts, CADENCES, usable_credits=20_000, budget_share=1.0, listed=100)
    assert on_lists.monthly_credits == pytest.approx(plain.monthly_credits - 100 * (full - listed))
    assert on_lists.credits_left() == pytest.approx(20_000 - on_lists.monthly_credits)
    # What 20,000 credits keep: 117 products paid per partition, 197 on tracked shop lists.
    assert int(20_000 // full) == 117 and int(20_000 // listed) == 197


def test_the_daily_series_costs_one_request_per_tick_of_its_own_schedule() -> None:
    history = HistoryCadence(first_period=90, period=7, cadence="weekly")
    # profile + totals 1 and 7 daily; totals 30 and 90 and the 7-day series weekly
    expected = 30.44 * 3 + 4.35 * 3
    assert monthly_requests_per_id("product", CADENCES, history=history) == pytest.approx(
        expected, rel=0.01
    )
    # on a tracked shop's list: the profile, the weekly series, 1/50 of four list pages
    listed = monthly_cost_of_a_listed_product(CADENCES, history)
    assert listed == pytest.approx(30.44 + 4.35 + (30.44 * 2 + 4.35 * 2) / 50, rel=0.01)
    assert int(20_000 // listed) == 552  # products one key keeps fresh on tracked lists


def test_a_history_cadence_that_leaves_gaps_is_refused() -> None:
    with pytest.raises(ValueError, match="TIKTOK_HISTORY_PERIOD=1 leaves gaps between weekly"):
        HistoryCadence(first_period=90, period=1, cadence="weekly")
    with pytest.raises(ValueError, match="TIKTOK_HISTORY_FIRST_PERIOD=7 must be at least"):
        HistoryCadence(first_period=7, period=30, cadence="weekly")
