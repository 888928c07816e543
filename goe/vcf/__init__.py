"""VCF/BCF input (reading, index, partitioning) and sites-VCF output (BGZF)."""
