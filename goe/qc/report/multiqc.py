"""MultiQC custom content for ``goe qc``: one table of per-sample metrics and status.

MultiQC picks up any file named ``*_mqc.json``; this one is a ``table``
section (``id``, ``section_name``, ``description``, ``plot_type``, ``pconfig``,
``headers`` and ``data`` keys), so ``multiqc .`` shows the goe results next to
the other QC tools of a pipeline. Null metrics are left out of a sample's row
(MultiQC shows an empty cell).
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import polars as pl

from goe.qc.report.figures import METRICS

MULTIQC_FILENAME = "goe_qc_mqc.json"
_STATUS_BG = {"pass": "#d1e7dd", "warn": "#fff3cd", "fail": "#f8d7da"}
_TEXT_COLUMNS = ("country", "status", "reasons")
_SKIP = ("sample_id", "reported_sex", "inferred_sex")


def multiqc_content(samples: pl.DataFrame) -> dict[str, Any]:
    """The MultiQC custom-content document (a JSON-able dict) for ``samples``."""
    metrics = [c for c, dt in samples.schema.items() if dt.is_numeric() and c not in _SKIP]
    headers: dict[str, dict[str, Any]] = {
        "country": {"title": "Country", "description": "ISO 3166-1 alpha-2 country code", "scale": False},
        "status": {"title": "QC status", "description": "goe qc decision for the sample: pass, warn or fail",
                   "bgcols": _STATUS_BG, "scale": False},
        "reasons": {"title": "Reasons", "description": "Guideline checks the sample did not meet", "scale": False},
    }
    for col in metrics:
        info = METRICS.get(col)
        header: dict[str, Any] = {
            "title": info.title if info else col,
            "description": f"{info.description} ({col})" if info else col,
            "format": info.fmt if info else "{:,.0f}" if samples.schema[col].is_integer() else "{:,.3f}",
            "scale": "GnBu",
        }
        if info and info.suffix:
            header["suffix"] = info.suffix
        if col.startswith("pct_") or col.endswith("call_rate"):
            header.update(min=0, max=1)  # fractions in 0..1
        headers[col] = header
    data: dict[str, dict[str, Any]] = {}
    for row in samples.iter_rows(named=True):
        entry: dict[str, Any] = {}
        for col in _TEXT_COLUMNS:
            if col in samples.columns:
                entry[col] = str(row.get(col) or "")
        for col in metrics:
            v = row.get(col)
            if isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v):
                entry[col] = v
        data[str(row["sample_id"])] = entry
    return {
        "id": "goe_qc",
        "section_name": "goe qc",
        "description": "Per-sample quality metrics and the pass/warn/fail decision of <code>goe qc</code> "
        "against the guideline profile.",
        "plot_type": "table",
        "pconfig": {"id": "goe_qc_table", "title": "goe qc: per-sample QC", "col1_header": "Sample",
                    "no_violin": True},
        "headers": {k: v for k, v in headers.items() if k in metrics or k in samples.columns},
        "data": data,
    }


def write_multiqc(samples: pl.DataFrame, path: Path) -> Path:
    """Write ``goe_qc_mqc.json`` for MultiQC and return its path.

    ``path`` is the output directory (created if needed); a path ending in
    ``.json`` is used as the file name itself.
    """
    path = Path(path)
    target = path if path.suffix == ".json" else path / MULTIQC_FILENAME
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(multiqc_content(samples), indent=1, allow_nan=False) + "\n", encoding="utf-8")
    return target
