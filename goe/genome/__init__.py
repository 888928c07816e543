"""The reference genome model: assemblies, contig names, PARs, ploidy."""
