"""Settings of the simulator: world size, keys and plans, limits and injected faults."""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from tiktok_assets.sim.living import MARKETS, Market

ROUTE_GROUPS: tuple[str, ...] = ("shops", "products", "creators", "videos", "credits")
"""Route groups a key's plan may include (`None` in `SimConfig.api_keys` means all)."""

WORLD_FIELDS: frozenset[str] = frozenset(
    {"seed", "shops", "products_per_shop", "creators", "videos", "market"}
)
"""Fields whose change requires rebuilding the world."""

ENV_PREFIX = "TIKTOK_SIM_"

MAX_LIST_LAG_DAYS = 365


def check_list_lag(days: object) -> int:
    """`days` if it is a valid `list_lag_days` (`ValueError` naming the field otherwise)."""
    if isinstance(days, bool) or not isinstance(days, int) or not 0 <= days <= MAX_LIST_LAG_DAYS:
        raise ValueError(
            f"list_lag_days must be an integer between 0 and {MAX_LIST_LAG_DAYS}, got {days!r}"
        )
    return days


def check_market(market: object) -> Market:
    """`market` if it is a known market (`ValueError` naming the field otherwise)."""
    for known in MARKETS:
        if market == known:
            return known
    raise ValueError(f"market must be one of {', '.join(MARKETS)}, got {market!r}")


def _default_keys() -> dict[str, list[str] | None]:
    return {"demo-key": None}


@dataclass
class SimConfig:
    """Mutable settings of one simulator instance (change them with `update`).

    `market`: `static` (the default: a world frozen in time) or `living` (launches,
    lifecycles, price steps, promotion and posting dates, late corrections; see
    `tiktok_assets.sim.living`). `list_lag_days`: the two list routes answer windows that
    ended that many days before the totals' (0 to 365).
    """

    seed: int = 7
    today: dt.date | None = None
    shops: int = 12
    products_per_shop: tuple[int, int] = (8, 60)
    creators: int = 40
    videos: int = 120
    api_keys: dict[str, list[str] | None] = field(default_factory=_default_keys, repr=False)
    monthly_credit_limit: int = 20000
    rate_limit_per_minute: int = 60
    retry_after: bool = False
    latency_ms: float = 0
    error_rate: float = 0.0
    non_json_rate: float = 0.0
    hang_rate: float = 0.0
    hang_seconds: float = 30.0
    extra_fields: bool = False
    drop_optional_fields: bool = False
    max_page_limit: int = 50
    market: Market = "static"
    list_lag_days: int = 0

    def __post_init__(self) -> None:
        for f in dataclasses.fields(self):
            setattr(self, f.name, _coerce(f.name, getattr(self, f.name)))
        _check_world(self.shops, self.creators, self.videos)

    def current_today(self) -> dt.date:
        """`today` if set, else the real UTC date; data always ends the day before."""
        return self.today or dt.datetime.now(dt.UTC).date()

    def update(self, **changes: Any) -> set[str]:
        """Apply validated changes in place; return the names whose value changed.

        Raises `ValueError` on an unknown field name or a bad value (nothing is applied then).
        """
        names = {f.name for f in dataclasses.fields(self)}
        unknown = sorted(set(changes) - names)
        if unknown:
            raise ValueError(f"Unknown config field(s): {', '.join(unknown)}")
        coerced = {name: _coerce(name, value) for name, value in changes.items()}
        merged = {name: coerced.get(name, getattr(self, name)) for name in WORLD_FIELDS}
        _check_world(merged["shops"], merged["creators"], merged["videos"])
        changed = {name for name, value in coerced.items() if getattr(self, name) != value}
        for name, value in coerced.items():
            setattr(self, name, value)
        return changed

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> SimConfig:
        """Build a config from `TIKTOK_SIM_<FIELD>` variables (e.g. `TIKTOK_SIM_SEED=7`).

        `TIKTOK_SIM_API_KEYS` is a comma list of keys, each optionally `key:group+group`
        to restrict its plan; empty variables are ignored.
        """
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for f in dataclasses.fields(cls):
            raw = env.get(ENV_PREFIX + f.name.upper())
            if raw is None or raw.strip() == "":
                continue
            values[f.name] = _parse_env(f.name, raw.strip())
        return cls(**values)

    def to_json(self) -> dict[str, Any]:
        """JSON-friendly view of the config (the `/_sim/config` answer)."""
        out = dataclasses.asdict(self)
        out["today"] = self.today.isoformat() if self.today else None
        out["products_per_shop"] = list(self.products_per_shop)
        return out


def parse_api_keys(text: str) -> dict[str, list[str] | None]:
    """Parse `key[:group+group],key2` into the `api_keys` mapping."""
    keys: dict[str, list[str] | None] = {}
    for item in text.split(","):
        item = item.strip()
        if not item:
            continue
        key, sep, groups = item.partition(":")
        keys[key.strip()] = [g.strip() for g in groups.split("+") if g.strip()] if sep else None
    return keys


def _parse_env(name: str, raw: str) -> Any:
    if name == "api_keys":
        return parse_api_keys(raw)
    if name == "products_per_shop":
        low, _, high = raw.partition(",")
        return (int(low), int(high or low))
    return raw  # _coerce handles str -> int/float/bool/date


_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def _coerce(name: str, value: Any) -> Any:
    """Validate and normalise one field value (accepts JSON and env spellings)."""
    kind = _TYPES[name]
    if name == "today":
        if value is None or (isinstance(value, dt.date) and not isinstance(value, dt.datetime)):
            return value
        if isinstance(value, str):
            try:
                return dt.date.fromisoformat(value)
            except ValueError:
                pass
        raise ValueError(f"today must be an ISO date (YYYY-MM-DD) or null, got {value!r}")
    if name == "api_keys":
        return _coerce_keys(value)
    if name == "market":
        return check_market(value.strip().lower() if isinstance(value, str) else value)
    if name == "list_lag_days":
        return check_list_lag(_to_number(name, value, int))
    if name == "products_per_shop":
        if (
            isinstance(value, list | tuple)
            and len(value) == 2
            and all(isinstance(v, int) and not isinstance(v, bool) for v in value)
            and 1 <= value[0] <= value[1]
        ):
            return (value[0], value[1])
        raise ValueError(
            f"products_per_shop must be [min, max] with 1 <= min <= max, got {value!r}"
        )
    if kind == "bool":
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in _TRUE | _FALSE:
            return value.lower() in _TRUE
        raise ValueError(f"{name} must be a boolean, got {value!r}")
    if kind == "int":
        number = _to_number(name, value, int)
        if number < 0:
            raise ValueError(f"{name} must be >= 0, got {value!r}")
        if name == "max_page_limit" and number < 1:
            raise ValueError("max_page_limit must be >= 1")
        return number
    number = _to_number(name, value, float)
    if not math.isfinite(number) or number < 0 or (name.endswith("_rate") and number > 1):
        raise ValueError(f"{name} out of range: {value!r}")
    return number


def _to_number(name: str, value: Any, kind: type) -> Any:
    if isinstance(value, bool):
        raise ValueError(f"{name} must be a number, got {value!r}")
    if isinstance(value, str):
        try:
            return kind(value)
        except ValueError:
            raise ValueError(f"{name} must be a number, got {value!r}") from None
    if kind is int and isinstance(value, int):
        return value
    if kind is float and isinstance(value, int | float):
        return float(value)
    raise ValueError(f"{name} must be {'an integer' if kind is int else 'a number'}, got {value!r}")


def _coerce_keys(value: Any) -> dict[str, list[str] | None]:
    if isinstance(value, str):
        value = parse_api_keys(value)
    if not isinstance(value, Mapping):
        raise ValueError("api_keys must map key -> list of route groups or null")
    keys: dict[str, list[str] | None] = {}
    for key, groups in value.items():
        if not isinstance(key, str) or not key:
            raise ValueError("api_keys keys must be non-empty strings")
        if groups is None:
            keys[key] = None
            continue
        if not isinstance(groups, list | tuple) or not all(g in ROUTE_GROUPS for g in groups):
            raise ValueError(f"route groups must be a list among {', '.join(ROUTE_GROUPS)}")
        keys[key] = list(groups)
    return keys


def _check_world(shops: int, creators: int, videos: int) -> None:
    if shops < 1:
        raise ValueError("shops must be >= 1")
    if videos > 0 and creators < 1:
        raise ValueError("videos need at least one creator")


_TYPES: dict[str, str] = {f.name: str(f.type) for f in dataclasses.fields(SimConfig)}
