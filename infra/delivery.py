"""What happens to partitions once their gate passes: the warehouse table is loaded, alerts are sent.

One place, called by the local runner and by the Airflow publish step, so both deliver the same way.
"""

from __future__ import annotations


def deliver(ctx) -> dict[str, int]:
    """Load ctx.partitions into the asset's warehouse table and send its alerts; counts of what was done."""
    done = {}
    if ctx.asset.warehouse is not None:
        from infra.warehouse_load import load_asset  # lazy: pandas/pyarrow stay out of DAG parsing

        load_asset(ctx)
        done["warehouse_partitions"] = len(ctx.partitions)
    if ctx.asset.alerts is not None:
        from infra.alerts import send_alerts  # lazy: kafka stays out of DAG parsing

        done["alerts"] = send_alerts(ctx)
    return done
