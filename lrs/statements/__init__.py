"""Statement use cases and the values the stores exchange for them (no HTTP, no SQL)."""
