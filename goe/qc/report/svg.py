"""A tiny, dependency-free SVG plotting module for the ``goe qc`` report.

Two plot kinds: :func:`histogram` (with vertical threshold lines) and
:func:`scatter` (points coloured by category, a legend, optional highlighted
points and horizontal/vertical reference lines). Output is a plain ``<svg>``
string meant to be inlined in HTML: no scripts, no external resources, every
piece of text escaped, and the same input always gives the same string.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from html import escape

FAIL_COLOR = "#d62728"
WARN_COLOR = "#ff7f0e"
PASS_COLOR = "#2ca02c"
BAR_COLOR = "#4c78a8"
REF_COLOR = "#555555"
_AXIS = "#333333"
_GRID = "#e6e6e6"
_MUTED = "#666666"
_PALETTE = ("#1f77b4", "#9467bd", "#8c564b", "#17becf", "#bcbd22", "#e377c2", "#7f7f7f")
_FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, Helvetica, Arial, sans-serif"


@dataclass(frozen=True)
class Line:
    """A reference line at ``value`` (vertical in a histogram; horizontal or vertical in a scatter)."""

    value: float
    label: str = ""
    color: str = REF_COLOR
    dashed: bool = True


@dataclass(frozen=True)
class Point:
    """One scatter point; ``highlight`` draws a black ring around it, ``label`` is its hover text."""

    x: float
    y: float
    category: str
    highlight: bool = False
    label: str = ""


def threshold_line(value: float, severity: str, label: str = "") -> Line:
    """A dashed threshold line: red for ``fail``, orange for ``warn``."""
    return Line(float(value), label, FAIL_COLOR if severity == "fail" else WARN_COLOR, True)


def format_number(value: float) -> str:
    """Short human form of a number: ``12,345``, ``4.123M``, ``110.9G``, ``0.9876``, ``1.2e-05``."""
    if not math.isfinite(value):
        return str(value)
    for suffix, div in (("T", 1e12), ("G", 1e9), ("M", 1e6)):
        if abs(value) >= div:
            return f"{value / div:.4g}{suffix}"
    if value == int(value):
        return f"{int(value):,}"
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    return f"{value:.4g}"


def nice_ticks(lo: float, hi: float, target: int = 5, *, integer: bool = False) -> tuple[list[float], float]:
    """Round tick positions covering ``[lo, hi]`` (first <= lo, last >= hi) and their step.

    The step is 1, 2, 2.5 or 5 times a power of ten, whichever gives closest to
    ``target`` intervals; ``integer`` keeps it a whole number (for counts).
    """
    if not hi > lo:
        hi = lo + 1.0
    target = max(target, 1)
    mag = 10.0 ** math.floor(math.log10((hi - lo) / target))
    steps = [m * mag for m in (1.0, 2.0, 2.5, 5.0, 10.0, 20.0) if not integer or (m * mag >= 1 and m * mag % 1 == 0)]
    steps = steps or [1.0]
    step = min(steps, key=lambda st: (abs((hi - lo) / st - target), -st))
    first = math.floor(lo / step + 1e-9)
    last = math.ceil(hi / step - 1e-9)
    ticks = [_clean(i * step) for i in range(first, last + 1)]
    return ticks, step


def tick_label(value: float, step: float, scale: float) -> str:
    """Label for one tick: SI-style suffix (k, M, G, T) when the axis ``scale`` is large."""
    if value == 0:
        return "0"
    suffix, div = "", 1.0
    for s, d, at in (("T", 1e12, 1e12), ("G", 1e9, 1e9), ("M", 1e6, 1e6), ("k", 1e3, 1e4)):
        if scale >= at:
            suffix, div = s, d
            break
    v, st = value / div, step / div
    decimals = next((d for d in range(0, 10) if abs(round(st, d) - st) <= abs(st) * 1e-6), 9)
    text = f"{v:.{decimals}f}"
    if text.startswith("-") and float(text) == 0:
        text = text[1:]
    return text + suffix


def histogram(
    values: Iterable[float],
    *,
    title: str = "",
    xlabel: str = "",
    ylabel: str = "samples",
    lines: Sequence[Line] = (),
    bins: int | None = None,
    width: int = 400,
    height: int = 250,
    color: str = BAR_COLOR,
) -> str:
    """Histogram of the finite ``values`` with vertical ``lines`` (e.g. thresholds) drawn over it.

    The x axis always covers the data and every line, so a threshold far from
    the data is still visible. Non-finite values are ignored.
    """
    data = sorted(v for v in (float(x) for x in values) if math.isfinite(v))
    frame = _Frame(width, height, left=56, right=16, top=30 + 13 * len(lines), bottom=44)
    out = frame.open(title)
    if not data:
        out.append(frame.message("no data"))
        return "".join([*out, "</svg>"])
    lo, hi = data[0], data[-1]
    if bins is None:
        bins = min(40, max(8, math.ceil(math.sqrt(len(data)) * 1.5)))
    if hi == lo:
        bins = 1
    edges = [lo + (hi - lo) * i / bins for i in range(bins + 1)]
    counts = [0] * bins
    for v in data:
        counts[min(bins - 1, int((v - lo) / (hi - lo) * bins)) if hi > lo else 0] += 1
    frame.set_x(*_padded([lo, hi, *(ln.value for ln in lines if math.isfinite(ln.value))]))
    top = max(counts)
    frame.set_y(0, top, snap=True, target=4 if top >= 4 else top, integer=True)
    out.append(frame.axes(xlabel, ylabel))
    if hi == lo:
        half = (frame.x1 - frame.x0) / 60
        edges = [lo - half, lo + half]
    for i, c in enumerate(counts):
        if c == 0:
            continue
        xa, xb, yt = frame.sx(edges[i]), frame.sx(edges[i + 1]), frame.sy(c)
        out.append(
            f'<rect x="{xa:.1f}" y="{yt:.1f}" width="{max(xb - xa - 1, 1):.1f}" height="{frame.sy(0) - yt:.1f}" '
            f'fill="{color}"><title>{_e(format_number(edges[i]))} to {_e(format_number(edges[i + 1]))}: '
            f"{c} sample{'s' if c != 1 else ''}</title></rect>"
        )
    for i, ln in enumerate(lines):
        out.append(frame.vline(ln, i))
    out.append("</svg>")
    return "".join(out)


def scatter(
    points: Sequence[Point],
    *,
    title: str = "",
    xlabel: str = "",
    ylabel: str = "",
    colors: Mapping[str, str] | None = None,
    hlines: Sequence[Line] = (),
    vlines: Sequence[Line] = (),
    highlight_label: str = "",
    xlim: tuple[float, float] | None = None,
    ylim: tuple[float, float] | None = None,
    width: int = 600,
    height: int = 380,
) -> str:
    """Scatter plot: colour by ``Point.category``, a legend on the right, reference lines.

    ``colors`` fixes the colour (and legend order) of known categories; others
    get palette colours in sorted order. Highlighted points are drawn last with
    a black ring and get a legend entry named ``highlight_label``. ``xlim`` and
    ``ylim`` are ranges the axes must cover (the data may extend them).
    """
    pts = [p for p in points if math.isfinite(p.x) and math.isfinite(p.y)]
    palette = dict(colors or {})
    for cat in sorted({p.category for p in pts} - set(palette)):
        palette[cat] = _PALETTE[len(palette) % len(_PALETTE)]
    frame = _Frame(width, height, left=60, right=150, top=30 + 13 * len(vlines), bottom=44)
    out = frame.open(title)
    if not pts:
        out.append(frame.message("no data"))
        return "".join([*out, "</svg>"])
    xs = [p.x for p in pts] + [ln.value for ln in vlines]
    ys = [p.y for p in pts] + [ln.value for ln in hlines]
    frame.set_x(*_padded(xs + list(xlim or ())))
    frame.set_y(*_padded(ys + list(ylim or ())))
    out.append(frame.axes(xlabel, ylabel))
    for ln in hlines:
        out.append(frame.hline(ln))
    for i, ln in enumerate(vlines):
        out.append(frame.vline(ln, i))
    for p in [p for p in pts if not p.highlight] + [p for p in pts if p.highlight]:
        tip = f"<title>{_e(p.label)}</title>" if p.label else ""
        ring = ' stroke="#000" stroke-width="2.2"' if p.highlight else ' stroke="#fff" stroke-width="0.8"'
        r = 5.5 if p.highlight else 4.2
        out.append(
            f'<circle cx="{frame.sx(p.x):.1f}" cy="{frame.sy(p.y):.1f}" r="{r}" fill="{palette[p.category]}" '
            f'fill-opacity="0.85"{ring}>{tip}</circle>'
        )
    present = {p.category for p in pts}
    entries = [(c, col) for c, col in palette.items() if c in present]
    lx, ly = frame.width - frame.right + 16, frame.top + 6
    for i, (cat, col) in enumerate(entries):
        y = ly + 18 * i
        out.append(f'<circle cx="{lx + 5}" cy="{y}" r="5" fill="{col}"/>')
        out.append(f'<text x="{lx + 15}" y="{y + 4}" font-size="12" fill="{_AXIS}">{_e(cat)}</text>')
    if highlight_label and any(p.highlight for p in pts):
        y = ly + 18 * len(entries)
        out.append(f'<circle cx="{lx + 5}" cy="{y}" r="5.5" fill="#fff" stroke="#000" stroke-width="2.2"/>')
        out.append(f'<text x="{lx + 15}" y="{y + 4}" font-size="12" fill="{_AXIS}">{_e(highlight_label)}</text>')
    out.append("</svg>")
    return "".join(out)


class _Frame:
    """Plot area geometry and the drawing of axes, ticks and reference lines."""

    def __init__(self, width: int, height: int, *, left: int, right: int, top: int, bottom: int) -> None:
        self.width, self.height = width, height
        self.left, self.right, self.top, self.bottom = left, right, top, bottom
        self.x0, self.x1, self.y0, self.y1 = 0.0, 1.0, 0.0, 1.0
        self.xticks: list[float] = []
        self.yticks: list[float] = []
        self.xstep = self.ystep = 1.0

    def set_x(self, lo: float, hi: float) -> None:
        """Domain exactly ``[lo, hi]``, ticks at the round values inside it."""
        ticks, self.xstep = nice_ticks(lo, hi)
        self.xticks = [t for t in ticks if lo - 1e-12 <= t <= hi + 1e-12]
        self.x0, self.x1 = lo, hi

    def set_y(self, lo: float, hi: float, *, snap: bool = False, target: int = 5, integer: bool = False) -> None:
        """Domain ``[lo, hi]`` (widened to the outer ticks when ``snap``), ticks inside it."""
        ticks, self.ystep = nice_ticks(lo, hi, target, integer=integer)
        if snap:
            lo, hi = ticks[0], ticks[-1]
        self.yticks = [t for t in ticks if lo - 1e-12 <= t <= hi + 1e-12]
        self.y0, self.y1 = lo, hi

    def sx(self, v: float) -> float:
        pw = self.width - self.left - self.right
        return self.left + (v - self.x0) / ((self.x1 - self.x0) or 1.0) * pw

    def sy(self, v: float) -> float:
        ph = self.height - self.top - self.bottom
        return self.height - self.bottom - (v - self.y0) / ((self.y1 - self.y0) or 1.0) * ph

    def open(self, title: str) -> list[str]:
        w, h = self.width, self.height
        return [
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}" '
            f'role="img" aria-label="{_e(title)}" font-family="{_e(_FONT)}">',
            f"<title>{_e(title)}</title>",
            f'<rect x="0" y="0" width="{w}" height="{h}" fill="#fff"/>',
            f'<text x="{self.left}" y="17" font-size="13" font-weight="600" fill="{_AXIS}">{_e(title)}</text>',
        ]

    def message(self, text: str) -> str:
        cx, cy = (self.left + self.width - self.right) / 2, (self.top + self.height - self.bottom) / 2
        return f'<text x="{cx:.1f}" y="{cy:.1f}" font-size="13" fill="{_MUTED}" text-anchor="middle">{_e(text)}</text>'

    def axes(self, xlabel: str, ylabel: str) -> str:
        xa, xb = self.left, self.width - self.right
        ya, yb = self.top, self.height - self.bottom
        scale = max(abs(self.x0), abs(self.x1))
        yscale = max(abs(self.y0), abs(self.y1))
        parts = []
        for t in self.yticks:
            y = self.sy(t)
            parts.append(f'<line x1="{xa}" y1="{y:.1f}" x2="{xb}" y2="{y:.1f}" stroke="{_GRID}"/>')
            parts.append(
                f'<text x="{xa - 6}" y="{y + 4:.1f}" font-size="11" fill="{_AXIS}" text-anchor="end">'
                f"{_e(tick_label(t, self.ystep, yscale))}</text>"
            )
        for t in self.xticks:
            x = self.sx(t)
            parts.append(f'<line x1="{x:.1f}" y1="{yb}" x2="{x:.1f}" y2="{yb + 5}" stroke="{_AXIS}"/>')
            parts.append(
                f'<text x="{x:.1f}" y="{yb + 17}" font-size="11" fill="{_AXIS}" text-anchor="middle">'
                f"{_e(tick_label(t, self.xstep, scale))}</text>"
            )
        parts.append(f'<line x1="{xa}" y1="{yb}" x2="{xb}" y2="{yb}" stroke="{_AXIS}"/>')
        parts.append(f'<line x1="{xa}" y1="{ya}" x2="{xa}" y2="{yb}" stroke="{_AXIS}"/>')
        parts.append(
            f'<text x="{(xa + xb) / 2:.1f}" y="{self.height - 8}" font-size="12" fill="{_AXIS}" '
            f'text-anchor="middle">{_e(xlabel)}</text>'
        )
        cy = (ya + yb) / 2
        parts.append(
            f'<text x="14" y="{cy:.1f}" font-size="12" fill="{_AXIS}" text-anchor="middle" '
            f'transform="rotate(-90 14 {cy:.1f})">{_e(ylabel)}</text>'
        )
        return "".join(parts)

    def vline(self, ln: Line, index: int) -> str:
        x = self.sx(ln.value)
        ya, yb = self.top, self.height - self.bottom
        dash = ' stroke-dasharray="6 4"' if ln.dashed else ""
        out = f'<line x1="{x:.1f}" y1="{ya - 4}" x2="{x:.1f}" y2="{yb}" stroke="{ln.color}" stroke-width="2"{dash}/>'
        if ln.label:
            right_side = x > self.left + (self.width - self.left - self.right) * 0.65
            anchor, dx = ("end", -4) if right_side else ("start", 4)
            y = ya - 8 - 13 * index
            out += (
                f'<text x="{x + dx:.1f}" y="{y}" font-size="11" fill="{ln.color}" text-anchor="{anchor}" '
                f'font-weight="600">{_e(ln.label)}</text>'
            )
        return out

    def hline(self, ln: Line) -> str:
        y = self.sy(ln.value)
        xa, xb = self.left, self.width - self.right
        dash = ' stroke-dasharray="6 4"' if ln.dashed else ""
        out = f'<line x1="{xa}" y1="{y:.1f}" x2="{xb}" y2="{y:.1f}" stroke="{ln.color}" stroke-width="1.5"{dash}/>'
        if ln.label:
            out += (
                f'<text x="{xb - 4}" y="{y - 4:.1f}" font-size="11" fill="{ln.color}" text-anchor="end" '
                f'stroke="#fff" stroke-width="3" paint-order="stroke">{_e(ln.label)}</text>'
            )
        return out


def _e(text: str) -> str:
    return escape(str(text), quote=True)


def _clean(v: float) -> float:
    r = round(v, 12)
    return 0.0 if r == 0 else r


def _padded(values: Sequence[float]) -> tuple[float, float]:
    lo, hi = min(values), max(values)
    span = (hi - lo) or (abs(lo) * 0.2 or 1.0)
    return lo - span * 0.04, hi + span * 0.04

