"""Draw a card's price chart (PNG or SVG): the market's low–high band and middle line, and the
seller's own price as a step line, in pounds over time.

matplotlib is an optional extra (``syncd[charts]``), imported only when a chart is drawn; the
figure is rendered with the Agg canvas directly (no pyplot, no global backend state, safe in a
daemon thread). This module draws what it is given: it must not query the database or decide
what the series is (``core.price_series`` does).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from syncd.core.price_series import OwnStep, SeriesDay, pounds, price_at
from syncd.errors import InputError

FORMATS = (".png", ".svg")
_BAND = "#9ecae1"
_MARKET = "#1f5f99"
_OWN = "#e6550d"
_INK = "#333333"


def _matplotlib() -> tuple[Any, Any, Any]:
    try:
        import matplotlib.dates as mdates
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError:
        raise InputError(
            "charts need matplotlib, an optional extra: pip install 'syncd[charts]'"
        ) from None
    return Figure, FigureCanvasAgg, mdates


def _noon(day: date) -> datetime:
    return datetime.combine(day, time(12), tzinfo=UTC)


def _own_line(
    steps: Sequence[OwnStep], start: date, end: date
) -> tuple[list[datetime], list[float]]:
    """The step line's corners: the price in force at the start, each change, held to the end."""
    lo = datetime.combine(start, time(0), tzinfo=UTC)
    hi = datetime.combine(end + timedelta(days=1), time(0), tzinfo=UTC)
    xs: list[datetime] = []
    ys: list[float] = []
    first = price_at(steps, lo)
    if first is not None:
        xs.append(lo)
        ys.append(first / 100)
    for step in steps:
        if lo < step.at < hi:
            xs.append(step.at)
            ys.append(step.price / 100)
    if ys:
        xs.append(hi)
        ys.append(ys[-1])
    return xs, ys


def draw_price_chart(
    path: Path,
    *,
    title: str,
    subtitle: str,
    days: Sequence[SeriesDay],
    steps: Sequence[OwnStep],
    start: date,
    end: date,
) -> Path:
    """Write the chart to ``path`` (.png or .svg) and return it."""
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        raise InputError(f"chart file must end in .png or .svg, not {path.name!r}")
    figure_cls, canvas_cls, mdates = _matplotlib()
    fig = figure_cls(figsize=(10, 5.6), dpi=150, layout="constrained")
    canvas_cls(fig)
    ax = fig.add_subplot()

    market = [d for d in days if d.mid is not None]
    band = [d for d in market if d.low is not None and d.high is not None]
    if band:
        ax.fill_between(
            [_noon(d.day) for d in band],
            [d.low / 100 for d in band if d.low is not None],
            [d.high / 100 for d in band if d.high is not None],
            color=_BAND,
            alpha=0.45,
            linewidth=0,
            label="Market low – high",
        )
    if market:
        ax.plot(
            [_noon(d.day) for d in market],
            [d.mid / 100 for d in market if d.mid is not None],
            color=_MARKET,
            linewidth=2,
            marker="o" if len(market) <= 45 else None,
            markersize=3.5,
            label=f"Market (sold median / listed price), now {pounds(market[-1].mid)}",
        )
    own_x, own_y = _own_line(steps, start, end)
    if not own_y:  # no recorded own price history: the snapshots' own price, day by day
        own_days = [d for d in days if d.own is not None]
        own_x = [_noon(d.day) for d in own_days]
        own_y = [d.own / 100 for d in own_days if d.own is not None]
    if own_y:
        now = pounds(round(own_y[-1] * 100))
        ax.step(
            own_x, own_y, where="post", color=_OWN, linewidth=2.2, label=f"Your price, now {now}"
        )

    _mark_latest(ax, market, own_x, own_y)
    _style(ax, mdates, start, end)
    fig.suptitle(title, x=0.01, ha="left", fontsize=15, fontweight="bold", color=_INK)
    ax.set_title(subtitle, loc="left", fontsize=9.5, color="#777777", pad=28)
    if market or own_y:
        ax.legend(
            loc="lower left",
            bbox_to_anchor=(0, 1.0),
            frameon=False,
            fontsize=9,
            ncols=3,
            borderaxespad=0.2,
        )
    try:
        fig.savefig(path, format=suffix[1:], facecolor="white")
    except OSError as exc:  # no such folder, no permission
        raise InputError(f"{path}: cannot write ({exc.strerror or exc})") from None
    return path


def _mark_latest(
    ax: Any, market: Sequence[SeriesDay], own_x: Sequence[datetime], own_y: Sequence[float]
) -> None:
    """A dot on the newest market figure and on the current own price (values are in the
    legend, where they cannot collide when the two are close)."""
    if market and market[-1].mid is not None:
        ax.plot([_noon(market[-1].day)], [market[-1].mid / 100], "o", color=_MARKET, ms=6)
    if own_y:
        ax.plot([own_x[-1]], [own_y[-1]], "o", color=_OWN, ms=6, clip_on=False)


def _style(ax: Any, mdates: Any, start: date, end: date) -> None:
    ax.set_xlim(
        datetime.combine(start, time(0), tzinfo=UTC),
        datetime.combine(end + timedelta(days=1), time(0), tzinfo=UTC),
    )
    locator = mdates.AutoDateLocator(minticks=4, maxticks=10)
    ax.xaxis.set_major_locator(locator)
    # Day and month on every tick for windows up to a few months; month and year beyond.
    ax.xaxis.set_major_formatter(
        mdates.DateFormatter("%-d %b" if (end - start).days <= 120 else "%b %Y")
    )
    ax.yaxis.set_major_formatter(lambda value, _pos: f"£{value:,.2f}")
    ax.set_ylim(bottom=0)
    ax.margins(y=0.15)
    ax.grid(axis="y", color="#e5e5e5", linewidth=0.8)
    ax.set_axisbelow(True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    for side in ("left", "bottom"):
        ax.spines[side].set_color("#bbbbbb")
    ax.tick_params(colors=_INK, labelsize=9)
    ax.set_ylabel("Price (£)", color=_INK, fontsize=10)
