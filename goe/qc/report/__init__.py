"""Rendering of ``goe qc`` results: the HTML report, its SVG plots and a MultiQC table.

The computing happens elsewhere; these modules only turn plain results
(polars DataFrames, the summary dict and the guideline checks) into files.
"""

from __future__ import annotations

from goe.qc.report.html import render_report
from goe.qc.report.multiqc import MULTIQC_FILENAME, write_multiqc

__all__ = ["MULTIQC_FILENAME", "render_report", "write_multiqc"]
