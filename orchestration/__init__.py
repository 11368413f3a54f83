"""pitwall: motorsport results warehouse (Dagster code location and plain-Python libraries)."""
