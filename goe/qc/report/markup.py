"""Small HTML helpers shared by the report's page and figures (every user string escaped)."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from html import escape
from typing import Any, TypeGuard

from goe.qc.report import svg

STATUS_COLORS = {"pass": svg.PASS_COLOR, "warn": svg.WARN_COLOR, "fail": svg.FAIL_COLOR}

_SYMBOL = {">=": "≥", "<=": "≤", "!=": "≠", "+-": "±"}

def _table(headers: Sequence[str], body: Sequence[str], numeric: set[int] | None = None,
           sorted_col: int | None = None) -> str:
    ths = []
    for i, h in enumerate(headers):
        cls = " ".join(x for x in ("num" if i in (numeric or set()) else "", "sorted" if i == sorted_col else "") if x)
        ths.append(f'<th class="{cls}">{_e(h)}</th>' if cls else f"<th>{_e(h)}</th>")
    return f"<table><thead><tr>{''.join(ths)}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _section(anchor: str, title: str, content: str) -> str:
    return f'<section id="{anchor}"><h2>{_e(title)}</h2>{content}</section>'


def _badge(status: str) -> str:
    cls = status if status in STATUS_COLORS else "na"
    return f'<span class="badge {cls}">{_e(status or "n/a")}</span>'


def _value(v: Any) -> str:
    if v is None:
        return '<span class="muted">not assessed</span>'
    if isinstance(v, bool):
        return _e(str(v).lower())
    if isinstance(v, int | float):
        return _e(svg.format_number(float(v)))
    if isinstance(v, list | tuple):
        return " – ".join(_value(x) for x in v)
    if isinstance(v, Mapping):
        return ", ".join(f"{_e(k)}: {_value(x)}" for k, x in v.items())
    return _e(_symbolic(str(v)))


def _symbolic(text: str) -> str:
    for op, sym in _SYMBOL.items():
        text = text.replace(op, sym)
    return text


def _finite(v: Any) -> TypeGuard[float]:
    return isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)


def _e(text: Any) -> str:
    return escape(str(text), quote=True)


def _median(values: Sequence[float]) -> float:
    v = sorted(values)
    mid = len(v) // 2
    return v[mid] if len(v) % 2 else (v[mid - 1] + v[mid]) / 2
