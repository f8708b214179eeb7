"""Which routes a day's refresh fetches: the adaptive policy, a budgeted re-polling.

A *route* is one partition of one API asset (`product_total` `123|7`). The adaptive policy
prices each route by what refreshing it today is worth (Olston & Pandey 2008, in whole days):

    value = weight × P(changed since the last fetch) × fresh days the fetch buys

with `P(changed) = 1 − e^(−λt)` after `t` days, `fresh days = Σ_{k<H} e^(−λk)` over the
floor's horizon `H`, `weight` the route's share of its asset's revenue (views for videos), and
`λ` its change rate estimated from its own stored answers (`change_rate`). A list's value
includes that of the routes it answers for free. Routes are taken
by value per credit until the day's allowance is spent — the threshold of Olston & Pandey,
tuned each day to the budget. On top of it:

- **burst**: a route never fetched (a new id) comes first;
- **floor**: a route not fetched for `floor_days` comes next;
- **cap**: a route fetched today is not fetched again;
- **free**: a route answered from the day's own answers (a product total on a shop list
  fetched today) costs 0 and is never rationed.

Due routes past the allowance are *deferred*: they stay due and come first in their band the
next day. Everything here is pure: `observe` reads the warehouse, `plan` acts on the choice.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import math
from collections.abc import Sequence


class Band(enum.StrEnum):
    """A route's priority band, most urgent first. `high`: the routes worth the top tenth of
    the day's value per credit; `medium`: the next four tenths; `low`: the rest; `free`: the
    routes a list of the day answers; `dormant`: the routes of dormant ids."""

    BURST = "burst"
    FLOOR = "floor"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"
    FREE = "free"
    DORMANT = "dormant"


BANDS = (Band.BURST, Band.FLOOR, Band.HIGH, Band.MEDIUM, Band.LOW)
"""The bands of paid routes, most urgent first."""


class Action(enum.StrEnum):
    """The day's choice for a route."""

    FETCH = "fetch"
    """Paid for today."""
    FREE = "free"
    """Answered by a list fetched today: no credit."""
    DEFER = "defer"
    """Due (new, or past its floor), but the day's credits are spent: first in line tomorrow."""
    WAIT = "wait"
    """Not worth a credit yet (or fetched today already)."""
    DORMANT = "dormant"
    """Its id sold nothing for a long time and no list shows it selling: not refreshed."""


FETCHED = (Action.FETCH, Action.FREE)
"""The actions that store an answer of the day."""


class _Rank(enum.IntEnum):
    """The order in which paid routes are served: new routes, floor routes, then by value."""

    BURST = 0
    FLOOR = 1
    VALUE = 2


PRIOR_CHANGE = 0.5
"""The chance of a change per day assumed of a route before any two answers compare."""

MAX_RATE = 5.0
"""The largest change rate estimated (per day): a route that changed at every fetch."""


@dataclasses.dataclass(frozen=True)
class Route:
    """One partition of one API asset: the unit a refresh fetches."""

    asset: str
    entity_id: str
    period: int = 0
    """The aggregate period (0: an asset partitioned by id only)."""

    @property
    def key(self) -> str:
        return f"{self.entity_id}|{self.period}" if self.period else self.entity_id


@dataclasses.dataclass(frozen=True)
class Observed:
    """What the warehouse knows of a route."""

    route: Route
    last_fetch: dt.date | None
    """The day of its newest stored answer (None: never fetched)."""
    rate: float
    """Its change rate λ per day (`change_rate`)."""
    weight: float
    """The share of the market's revenue whose numbers it refreshes, 0..1 (`observe`)."""
    cost: int
    """Credits one fetch costs (list routes: pages)."""
    free_with: Route | None = None
    """The list route whose answer of the day answers this route for free."""
    candidate: bool = False
    """A candidate's first fetch (a shop discovery would admit): never fetched, but valued and
    ranked like any route rather than first (`cost`: its whole first fetch)."""


@dataclasses.dataclass(frozen=True)
class Decision:
    """The day's choice for one route (`Action`), with its band."""

    observed: Observed
    action: Action
    band: Band
    score: float
    next_due: dt.date
    reason: str

    @property
    def route(self) -> Route:
        return self.observed.route

    @property
    def credits(self) -> int:
        return self.observed.cost if self.action is Action.FETCH else 0


def change_rate(polls: int, changes: int, interval_days: float) -> float:
    """λ from `polls` comparisons of consecutive answers `interval_days` apart on average, of
    which `changes` differed: `−ln(1 − p)/I` with `p` smoothed towards `PRIOR_CHANGE`, so it
    stays finite when every poll saw a change and positive when none did."""
    p = (changes + PRIOR_CHANGE) / (polls + 1)
    p = min(p, 1.0 - 1e-9)
    return min(MAX_RATE, -math.log(1.0 - p) / max(interval_days, 1.0))


def value(weight: float, rate: float, days_since: float, horizon: int) -> float:
    """Expected weighted fresh days a fetch after `days_since` days buys (see the module)."""
    if rate <= 0.0 or weight <= 0.0:
        return 0.0
    stale = 1.0 - math.exp(-rate * days_since)
    step = math.exp(-rate)
    fresh_days = (1.0 - step**horizon) / (1.0 - step) if step < 1.0 else float(horizon)
    return weight * stale * fresh_days


@dataclasses.dataclass(frozen=True)
class PolicySettings:
    """The adaptive policy's knobs."""

    floor_days: int = 14
    """Every route is fetched at least this often (also the value's horizon)."""
    must_share: float = 0.5
    """The share of the day that burst and floor routes take before the others are served."""
    weighted: bool = True
    """False: the textbook uniform policy instead of values — every route as often as the
    credits allow, the longest unfetched first (what the `month` benchmark compares with)."""


def _days_since(o: Observed, today: dt.date) -> int | None:
    return None if o.last_fetch is None else (today - o.last_fetch).days


def _next_due(o: Observed, today: dt.date, threshold: float, settings: PolicySettings) -> dt.date:
    """The first coming day on which the route's value per credit reaches `threshold`, or its
    floor, whichever comes first."""
    since = _days_since(o, today) or 0
    for ahead in range(1, settings.floor_days + 1):
        t = since + ahead
        if t >= settings.floor_days:
            return today + dt.timedelta(days=ahead)
        if value(o.weight, o.rate, t, settings.floor_days) / max(o.cost, 1) >= threshold > 0:
            return today + dt.timedelta(days=ahead)
    return today + dt.timedelta(days=settings.floor_days)


@dataclasses.dataclass(frozen=True)
class _Candidate:
    """A paid route in the day's queue: its rank and score."""

    rank: _Rank
    score: float
    observed: Observed

    @property
    def sort_key(self) -> tuple[int, float, str, str]:
        return (self.rank, -self.score, self.observed.route.asset, self.observed.route.key)


def choose(
    observed: Sequence[Observed],
    *,
    today: dt.date,
    allowance: int,
    settings: PolicySettings,
) -> list[Decision]:
    """The day's decision for every route, spending at most `allowance` credits.

    Paid routes go in the order burst, floor (on at most `must_share` of the allowance), then
    value per credit, then the burst and floor routes left over while credits remain; those
    still left are deferred. A route whose list is fetched today (or was earlier today) is
    free. A route fetched today waits (the cap)."""
    queue, free, waiting = _queue(observed, today, settings)
    taken = _allocate(queue, allowance, settings)
    decisions = _paid_decisions(queue, taken, today, allowance, settings)
    # the lists that answer free routes: fetched now, or earlier today
    fetched = {queue[i].observed.route for i in taken} | {o.route for o in waiting}
    tomorrow = today + dt.timedelta(days=1)
    for o in free:
        if o.free_with is not None and o.free_with in fetched:
            decisions.append(Decision(o, Action.FREE, Band.FREE, 0.0, tomorrow, "from the list"))
        else:
            decisions.append(Decision(o, Action.WAIT, Band.FREE, 0.0, tomorrow, "its list waits"))
    decisions += [
        Decision(o, Action.WAIT, Band.LOW, 0.0, tomorrow, "fetched today") for o in waiting
    ]
    return decisions


def _list_worth(
    observed: Sequence[Observed], today: dt.date, settings: PolicySettings
) -> dict[Route, float]:
    """Per list route, the value of the routes its answer answers for free."""
    worth: dict[Route, float] = {}
    for o in observed:
        if o.free_with is not None:
            since = _days_since(o, today)
            days = settings.floor_days if since is None else since
            gained = value(o.weight, o.rate, days, settings.floor_days)
            worth[o.free_with] = worth.get(o.free_with, 0.0) + gained
    return worth


def _queue(
    observed: Sequence[Observed], today: dt.date, settings: PolicySettings
) -> tuple[list[_Candidate], list[Observed], list[Observed]]:
    """(paid routes in the order they are served, free routes, routes fetched today)."""
    riders = _list_worth(observed, today, settings)
    queue: list[_Candidate] = []
    free: list[Observed] = []
    waiting: list[Observed] = []
    for o in observed:
        since = _days_since(o, today)
        if since is not None and since < 1:
            waiting.append(o)
        elif o.free_with is not None:
            free.append(o)
        elif o.candidate:
            worth = value(o.weight, o.rate, settings.floor_days, settings.floor_days)
            score = worth / max(o.cost, 1) if settings.weighted else float(settings.floor_days)
            queue.append(_Candidate(_Rank.VALUE, score, o))
        elif since is None:
            queue.append(_Candidate(_Rank.BURST, o.weight, o))
        elif not settings.weighted:
            queue.append(_Candidate(_Rank.VALUE, float(since), o))
        elif since >= settings.floor_days:
            queue.append(_Candidate(_Rank.FLOOR, since + o.weight, o))
        else:
            worth = value(o.weight, o.rate, since, settings.floor_days) + riders.get(o.route, 0)
            queue.append(_Candidate(_Rank.VALUE, worth / max(o.cost, 1), o))
    queue.sort(key=lambda c: c.sort_key)
    return queue, free, waiting


def _allocate(queue: Sequence[_Candidate], allowance: int, settings: PolicySettings) -> set[int]:
    """The places in `queue` of the routes the day's `allowance` pays for.

    Burst and floor first, but on at most `must_share` of the day: the first fetches of many
    new ids must not starve the routes that buy the most (a list page holds 50 products);
    what the others leave goes back to them."""
    must = [i for i, c in enumerate(queue) if c.rank < _Rank.VALUE]
    worth = [i for i, c in enumerate(queue) if c.rank is _Rank.VALUE and c.score > 0.0]
    taken: set[int] = set()
    left = allowance
    for places, budget in (
        (must, int(allowance * settings.must_share)),
        (worth, allowance),
        (must, allowance),
    ):
        for i in places:
            cost = queue[i].observed.cost
            if i not in taken and cost <= min(budget, left):
                taken.add(i)
                left -= cost
                budget -= cost
    return taken


def _paid_decisions(
    queue: Sequence[_Candidate],
    taken: set[int],
    today: dt.date,
    allowance: int,
    settings: PolicySettings,
) -> list[Decision]:
    """Fetch, defer or wait for each paid route, with its band, next due day and reason."""
    scores = [c.score for c in queue if c.rank is _Rank.VALUE]
    high = scores[len(scores) // 10] if scores else 0.0
    medium = scores[len(scores) // 2] if scores else 0.0
    threshold = min((queue[i].score for i in taken if queue[i].rank is _Rank.VALUE), default=0.0)
    tomorrow = today + dt.timedelta(days=1)
    decisions: list[Decision] = []
    for i, c in enumerate(queue):
        o, rank, score = c.observed, c.rank, c.score
        band = _band(rank, score, high, medium)
        if i in taken:
            reason = {
                _Rank.BURST: "new route: first fetch",
                _Rank.FLOOR: f"floor: {settings.floor_days} days",
            }.get(rank, f"value {score:.3g} per credit")
            decisions.append(Decision(o, Action.FETCH, band, score, tomorrow, reason))
        elif rank < _Rank.VALUE:
            reason = f"deferred: the day's {allowance} credit(s) are spent"
            decisions.append(Decision(o, Action.DEFER, band, score, tomorrow, reason))
        else:
            due = _next_due(o, today, threshold, settings)
            decisions.append(Decision(o, Action.WAIT, band, score, due, "not worth a credit yet"))
    return decisions


def _band(rank: _Rank, score: float, high: float, medium: float) -> Band:
    if rank is _Rank.BURST:
        return Band.BURST
    if rank is _Rank.FLOOR:
        return Band.FLOOR
    if score >= high > 0.0:
        return Band.HIGH
    if score >= medium > 0.0:
        return Band.MEDIUM
    return Band.LOW
