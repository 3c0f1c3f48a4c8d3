"""The dashboard aggregates (sql/ddl/070): rebuilt for exactly the months a fact load replaced.

ClickHouse materialized views fire on INSERT only, and fact loads swap whole months in with REPLACE PARTITION,
so the aggregates follow the same rule: stage the month's aggregate, then swap it in atomically.
"""

from __future__ import annotations

from infra.warehouse import Session, read_sql, swap_in_month

# aggregate table -> the fact tables it reads
AGGREGATES = {
    "daily_sales_summary": ("fact_sales",),
    "product_performance": ("fact_sales",),
    "inventory_by_store": ("fact_inventory",),
    "stock_movements": ("fact_inventory",),
}


def months_of(days: list[str]) -> set[int]:
    """{202603, …} for a list of 'YYYY-MM-DD' days."""
    return {int(day[:4] + day[5:7]) for day in days if day}


def refresh_aggregates(session: Session, facts: set[str], months: set[int]) -> list[str]:
    """Rebuild every aggregate that reads one of `facts`, for `months`; returns the aggregates rebuilt."""
    rebuilt = []
    for aggregate, sources in AGGREGATES.items():
        if not facts & set(sources):
            continue
        for month in sorted(months):
            session.command(read_sql("dml/truncate_staging.sql").format(staging=f"{aggregate}_staging"))
            session.command(read_sql(f"dml/stage_{aggregate}.sql").format(month=month))
            swap_in_month(session, aggregate, month)
        rebuilt.append(aggregate)
    return rebuilt
