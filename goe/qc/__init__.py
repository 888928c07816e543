"""Sample QC: sequencing metrics, VCF-based checks and the decisions against a guideline profile."""
