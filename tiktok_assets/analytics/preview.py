"""What the UI shows of an analytics materialization: a Markdown preview of the top rows and
a matplotlib chart embedded in it as a base64 PNG data URI.

pandas and matplotlib are imported inside the functions: the code location loads without them.
"""

from __future__ import annotations

import base64
import io
import math
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

Column = tuple[str, str, Callable[[Any], str]]
"""(frame column, header, formatter)."""


def _missing(value: Any) -> bool:
    import pandas as pd

    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def money(value: Any) -> str:
    return "—" if _missing(value) else f"{float(value):,.2f}"


def count(value: Any) -> str:
    return "—" if _missing(value) else f"{int(value):,}"


def signed(value: Any) -> str:
    return "new" if _missing(value) else f"{int(value):+d}"


def percent(value: Any) -> str:
    return "—" if _missing(value) else f"{float(value) * 100:+.1f} %"


def pct(value: Any) -> str:
    return "—" if _missing(value) else f"{float(value):+.1f} %"


def text(value: Any) -> str:
    if _missing(value):
        return "—"
    if hasattr(value, "date") and callable(value.date):
        value = value.date()
    return str(value).replace("|", "\\|").replace("\n", " ")[:60]


def markdown_table(frame: pd.DataFrame, columns: Sequence[Column], limit: int = 10) -> str:
    """The first `limit` rows of `frame` as a Markdown table."""
    lines = [
        "| " + " | ".join(header for _, header, _ in columns) + " |",
        "| " + " | ".join("---" for _ in columns) + " |",
    ]
    for _, row in frame.head(limit).iterrows():
        cells = [fmt(row.get(name)) for name, _, fmt in columns]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _png(figure: Any) -> str:
    import matplotlib.pyplot as plt

    buffer = io.BytesIO()
    figure.tight_layout()
    figure.savefig(buffer, format="png", dpi=80)
    plt.close(figure)
    encoded = base64.b64encode(buffer.getvalue()).decode("ascii")
    return f"data:image/png;base64,{encoded}"


def _figure(width: float = 7.0, height: float = 3.6) -> tuple[Any, Any]:
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    return plt.subplots(figsize=(width, height))


def bar_chart(labels: Sequence[str], values: Sequence[float], title: str, xlabel: str) -> str:
    """A horizontal bar chart (first label on top) as a Markdown image with a data URI."""
    figure, ax = _figure()
    shown = [0.0 if _missing(v) else float(v) for v in values]
    positions = list(range(len(labels)))
    ax.barh(positions, shown, color="#2f6db5")
    ax.set_yticks(positions, [str(label)[:28] for label in labels], fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel(xlabel)
    ax.set_title(title, fontsize=10)
    return f"![{title}]({_png(figure)})"


def line_chart(series: dict[str, tuple[Sequence[Any], Sequence[float]]], title: str) -> str:
    """One line per label (x: dates, y: values) as a Markdown image with a data URI."""
    figure, ax = _figure()
    for label, (xs, ys) in series.items():
        ax.plot(
            list(xs),
            [math.nan if _missing(y) else float(y) for y in ys],
            marker=".",
            label=str(label)[:28],
        )
    ax.set_title(title, fontsize=10)
    ax.set_ylabel("revenue per day")
    if series:
        ax.legend(fontsize=7, loc="upper left")
    figure.autofmt_xdate()
    return f"![{title}]({_png(figure)})"
