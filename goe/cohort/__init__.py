"""The cohort: sample sheet, keep lists and population groups."""
