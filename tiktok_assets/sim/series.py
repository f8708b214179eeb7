"""Daily series kept as cumulative sums in blocks of `BLOCK` days, so a window is a subtraction.

A block is a list of arrays, one per measure; array `j` holds `BLOCK + 1` running totals
(starting at 0) of measure `j` over the block's days, the first day being ordinal
`block * BLOCK`.
"""

from __future__ import annotations

from array import array
from collections.abc import Callable, Sequence
from typing import TypeAlias

BLOCK = 128
"""Days generated at once per entity."""

Blocks: TypeAlias = "Callable[[int], Sequence[array[int]]]"
"""The block of a series by block number."""


def new_cums(count: int) -> list[array[int]]:
    """`count` empty running totals, each starting at 0."""
    return [array("q", [0]) for _ in range(count)]


def window_sum(blocks: Blocks, first: int, last: int, width: int) -> list[int]:
    """Sums of the `width` measures over ordinals `first..last` (inclusive)."""
    sums = [0] * width
    for block in range(first // BLOCK, last // BLOCK + 1):
        cums = blocks(block)
        lo = max(first - block * BLOCK, 0)
        hi = min(last - block * BLOCK + 1, BLOCK)
        for j in range(width):
            sums[j] += cums[j][hi] - cums[j][lo]
    return sums


def daily(blocks: Blocks, ordinal: int, width: int) -> list[int]:
    """The `width` measures of one day."""
    cums = blocks(ordinal // BLOCK)
    i = ordinal % BLOCK
    return [cums[j][i + 1] - cums[j][i] for j in range(width)]
