"""One module per asset family; each exposes build(ctx) -> JobResult."""
