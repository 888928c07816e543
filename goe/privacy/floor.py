"""Small-count floor with complementary suppression (as GDI does it).

A population row of an allele is withheld when 0 < AC < floor or
0 < AN - AC < floor. If any row of an allele is withheld, every row but
Total is withheld too, so that Total minus the others cannot recover the
hidden cell. Total itself is always published.
"""

from __future__ import annotations

import numpy as np


def withheld_rows(ac: np.ndarray, an: np.ndarray, floor: int, total_column: int = 0) -> np.ndarray:
    """Bool (alleles x populations): which population rows to withhold."""
    out = np.zeros(ac.shape, dtype=bool)
    if floor <= 0 or ac.size == 0:
        return out
    ref = an - ac
    small = ((ac > 0) & (ac < floor)) | ((ref > 0) & (ref < floor))
    small[:, total_column] = False
    any_small = small.any(axis=1)
    out[any_small, :] = True
    out[:, total_column] = False
    return out
