"""Asset declarations, the asset graph, change detection and the local runner."""
