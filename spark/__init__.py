"""Spark jobs that materialize assets: pure DataFrame transforms plus a thin entry point each."""
