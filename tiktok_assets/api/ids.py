"""Validation of vendor ids before they go into a URL path or a request body."""

from __future__ import annotations

import re

from tiktok_assets.api.errors import InvalidId

MAX_ID_LENGTH = 20
_ID_PATTERN = re.compile(rf"[0-9]{{1,{MAX_ID_LENGTH}}}")


def is_valid_id(value: object) -> bool:
    """True when `value` is a string of 1 to 20 ASCII digits."""
    return isinstance(value, str) and _ID_PATTERN.fullmatch(value) is not None


def validate_id(value: object, *, route: str = "id") -> str:
    """Return `value` if it is a valid vendor id, else raise `InvalidId` naming the route."""
    if not is_valid_id(value):
        shown = value if isinstance(value, str) and len(value) <= 60 else f"{str(value)[:60]}…"
        raise InvalidId(f"invalid id {shown!r}: not 1 to {MAX_ID_LENGTH} digits", route=route)
    return value  # type: ignore[return-value]
