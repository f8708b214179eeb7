"""Hashing a seed with ids and dates into integers: the simulator's only source of chance."""

from __future__ import annotations

import hashlib


def mix(*parts: object) -> int:
    """A 64-bit integer drawn from `parts` (same parts, same number, in any process)."""
    digest = hashlib.blake2b(repr(parts).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big")


def unit(*parts: object) -> float:
    """A number in [0, 1) drawn from `parts`."""
    return mix(*parts) / 2**64
