"""The dashboard aggregates (sql/ddl/070): rebuilt for exactly the months a fact load replaced.

ClickHouse materialized views fire on INSERT only, and fact loads publish whole tables with EXCHANGE TABLES,
so the aggregates follow the same rule: each is staged in the load that stages its facts, its rebuilt months
computed from the load's own (staged, not yet visible) fact and store tables, and published with them.
"""

from __future__ import annotations

from infra.warehouse_swap import TableSwap

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


def stage_aggregates(swap: TableSwap, facts: set[str], months: set[int]) -> list[str]:
    """Stage each aggregate that reads one of `facts`, its `months` rebuilt; returns the aggregates staged."""
    staged = []
    for aggregate, sources in AGGREGATES.items():
        if not facts & set(sources) or not months:
            continue
        staging = swap.stage(aggregate, {str(m) for m in months})
        swap.run(
            f"dml/stage_{aggregate}.sql",
            staging=staging,
            months=", ".join(str(m) for m in sorted(months)),
            fact_sales=swap.source("fact_sales"),
            fact_inventory=swap.source("fact_inventory"),
            dim_store=swap.source("dim_store"),
        )
        staged.append(aggregate)
    return staged
