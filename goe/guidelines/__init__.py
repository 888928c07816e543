"""Guideline profiles: versioned quality thresholds with their sources."""
