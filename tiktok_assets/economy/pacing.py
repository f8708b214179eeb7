"""Pacing: the month's usable credits spread over its remaining days.

A day may spend `(usable − spent before today) / days left in the month, today included`:
what earlier days left unspent is spread over the rest, and no day spends more than its share.
"""

from __future__ import annotations

import calendar
import datetime as dt

import sqlalchemy as sa

from tiktok_assets.economy.journal import credits_spent
from tiktok_assets.warehouse.tables import api_calls


def days_left(today: dt.date) -> int:
    """Days from `today` to the end of its month, both included."""
    return calendar.monthrange(today.year, today.month)[1] - today.day + 1


def day_share(usable: int, spent_before_today: int, today: dt.date) -> int:
    """The credits `today` may spend in all."""
    return max(0, usable - spent_before_today) // days_left(today)


def spent_on(engine: sa.Engine, day: dt.date) -> int:
    """Credits recorded on `day`."""
    query = sa.select(sa.func.coalesce(sa.func.sum(api_calls.c.credits), 0)).where(
        api_calls.c.call_date == day
    )
    with engine.connect() as conn:
        return int(conn.execute(query).scalar_one())


def allowance(engine: sa.Engine, usable: int, today: dt.date) -> tuple[int, int]:
    """(the day's share, what is left of it now)."""
    today_spent = spent_on(engine, today)
    share = day_share(usable, credits_spent(engine, today) - today_spent, today)
    return share, max(0, share - today_spent)
