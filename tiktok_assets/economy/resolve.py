"""`resolve`: decide, before any request, which partitions of a run are paid, derived from
an answer of the day, or paid as a sample that decides whether a source is trusted today."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence

import sqlalchemy as sa

from tiktok_assets.api.endpoints import ApiRequest
from tiktok_assets.economy.journal import fresh_keys
from tiktok_assets.economy.reconcile import Standing, Trust, standing
from tiktok_assets.economy.sources import SOURCES_OF, Resolution, derivations
from tiktok_assets.partitions import split_key


def resolve(
    engine: sa.Engine,
    asset: str,
    keys: Sequence[str],
    *,
    request_of: Callable[[str, int], ApiRequest],
    today: dt.date,
    sample: int,
    force_refresh: bool = False,
) -> tuple[Resolution, dict[str, Standing]]:
    """The run's resolution and each source's standing for `asset` today.

    Partitions whose own request was answered today stay paid (the journal serves them, free,
    with the API's own numbers). A distrusted source is not offered; an unverified one gives
    its first `needed` partitions (by key) as samples and the rest wait in `pending`.
    """
    if asset not in SOURCES_OF or force_refresh or not keys:
        return Resolution.all_paid(keys), {}
    parsed = [(key, *split_key(key)) for key in keys]
    requests = {key: request_of(entity_id, period) for key, entity_id, period in parsed}
    routes = {request.route for request in requests.values()}
    served = fresh_keys(engine, routes=routes)
    open_keys = [
        (key, entity_id, period)
        for key, entity_id, period in parsed
        if period is not None and (requests[key].route, requests[key].params_key) not in served
    ]
    standings = {s: standing(engine, today, s, asset, sample) for s in SOURCES_OF[asset]}
    allowed = [s for s, st in standings.items() if st.trust is not Trust.DISTRUSTED]
    found = derivations(engine, asset, open_keys, today, allowed=allowed)  # type: ignore[arg-type]
    resolution = Resolution([k for k in keys if k not in found], {}, {}, {})
    taken: dict[str, int] = {}
    for key in sorted(found):
        derivation = found[key]
        st = standings[derivation.source]
        if st.trust is Trust.TRUSTED:
            resolution.derived[key] = derivation
        elif taken.get(derivation.source, 0) < st.needed:
            taken[derivation.source] = taken.get(derivation.source, 0) + 1
            resolution.samples[key] = derivation
        else:
            resolution.pending[key] = derivation
    return resolution, standings
