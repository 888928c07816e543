"""Expected ploidy per site and sex.

Rules (those of ``bcftools +fixploidy`` with the assembly's PARs): males are
haploid on X outside the PARs and on the whole of Y; females have no Y; MT is
haploid for everyone; everything else is diploid.
"""

from __future__ import annotations

from enum import IntEnum

import numpy as np

from goe.genome.assemblies import Assembly


class SiteClass(IntEnum):
    """Where a site lies, for ploidy purposes."""

    AUTOSOME = 0  # includes the X PARs
    X_NONPAR = 1
    Y = 2
    MT = 3


# PLOIDY[site_class, sex] with sex 0 = male, 1 = female.
PLOIDY = np.array([[2, 2], [1, 2], [1, 0], [1, 1]], dtype=np.int8)
MALE, FEMALE = 0, 1


def site_classes(assembly: Assembly, contig: str, positions: np.ndarray) -> np.ndarray:
    """Return a :class:`SiteClass` code for each 1-based position on canonical ``contig``."""
    out = np.zeros(len(positions), dtype=np.int8)
    if contig == "X":
        out[:] = SiteClass.X_NONPAR
        for start, end in assembly.par_x:
            out[(positions >= start) & (positions <= end)] = SiteClass.AUTOSOME
    elif contig == "Y":
        out[:] = SiteClass.Y
    elif contig == "MT":
        out[:] = SiteClass.MT
    return out


def ploidy_matrix(classes: np.ndarray, sex: np.ndarray) -> np.ndarray:
    """Expected ploidy, shape (sites, samples), for site classes and sample sexes (0=M, 1=F)."""
    return PLOIDY[classes[:, None], sex[None, :]]
