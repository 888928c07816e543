"""Test helpers: a seeded cohort simulator and the bcftools reference recipe."""
