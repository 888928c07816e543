"""`goe freq`: exact per-population allele frequencies from a cohort VCF/BCF."""
