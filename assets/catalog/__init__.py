"""Asset declarations, one module per domain. Each module lists its specs in ASSETS."""
