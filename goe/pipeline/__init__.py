"""`goe run`: one config chains qc -> freq -> merge, skipping steps that are unchanged."""
