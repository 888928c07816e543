"""Plan, run partitions (local process pool), finalise in genomic order."""
