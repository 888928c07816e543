"""goe: Genome of Europe toolkit."""

__version__ = "0.1.0"
