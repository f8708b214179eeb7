"""What an API asset is made of, shared by its definition (`factory`) and its run (`fetch`):
its run configuration, how an answer becomes rows (`Shaper`) and its data-quality `Check`s."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

from dagster import AssetCheckSeverity, Config
from pydantic import Field

from tiktok_assets.checks import CheckOutcome

if TYPE_CHECKING:
    import pandas as pd

API_POOL = "tiktok_api"
"""The Dagster pool every API step takes a slot of (`dagster instance concurrency`)."""


class FetchConfig(Config):
    """Run configuration of the API assets."""

    force_refresh: bool = Field(
        default=False,
        description="Bypass the request journal: pay again for answers already fetched today.",
    )


class Answered(Protocol):
    """What a shaper reads of one partition's answer (`fetch.Fetched`)."""

    key: str
    entity_id: str
    period: int | None
    value: Any


@dataclasses.dataclass(frozen=True)
class Shaped:
    """What a partition's answer becomes: rows, plus facts the checks need."""

    rows: list[dict[str, Any]]
    list_total: int | None = None


Shaper = Callable[[Answered, dt.date, dt.datetime], Shaped]
"""(answer, its day, its time) -> the partition's rows."""
Checker = Callable[["pd.DataFrame", list[tuple[Answered, Shaped]]], CheckOutcome]
"""(a written batch's rows, each partition's answer and rows) -> the verdict on the batch."""


@dataclasses.dataclass(frozen=True)
class Check:
    """A data-quality rule attached to an asset."""

    name: str
    description: str
    rule: Checker
    severity: AssetCheckSeverity = AssetCheckSeverity.ERROR


def sources_check_name(asset: str) -> str:
    """The check of a derivable asset that its derived numbers agreed with the API's."""
    return f"{asset}_sources_agree"
