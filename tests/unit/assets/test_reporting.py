"""The run summary a person reads at the end of `make demo`: nothing is cut short, on 80 columns too."""

from __future__ import annotations

from rich.console import Console

from assets.reporting import plan_table, run_table
from assets.runner import AssetOutcome, RunReport
from assets.versions import AssetPlan, PartitionPlan


def rendered(renderable, width: int) -> str:
    console = Console(width=width, record=True, color_system=None)
    console.print(renderable)
    return console.export_text()


def column(text: str, index: int) -> str:
    """One column's cells read down the table's body, wrapped lines joined, spaces removed."""
    rows = [line.split("│") for line in text.splitlines() if line.startswith("│")]
    return "".join(row[index + 1].replace(" ", "") for row in rows)


def test_asset_names_and_ranges_are_never_truncated_on_an_80_column_terminal():
    report = RunReport("demo-2026-12-03", [
        AssetOutcome("raw_inventory_updates", built=["2025-12-03", "2025-12-04", "2025-12-05"], seconds=111),
        AssetOutcome("reorder_predictions", built=["2025-12-03", "2025-12-05"], failed=["2025-12-04"],
                     message="gate failed: expect_column_values_to_be_between(order_qty)"),
    ])
    text = rendered(run_table(report), width=80)
    assert "…" not in text
    lines = text.splitlines()
    assert any("raw_inventory_updates" in line for line in lines)
    assert any(line.startswith("reorder_predictions: gate failed") for line in lines)
    assert max(map(len, lines)) <= 80
    assert column(text, 1) == "2025-12-03..2025-12-052025-12-03,2025-12-05"
    assert column(text, 4) == "-2025-12-04"


def test_plan_ranges_and_reasons_survive_a_narrow_terminal():
    days = ["2025-12-03", "2025-12-04", "2025-12-05"]
    reason = "inventory_snapshot 2025-11-05..2025-12-05 changed"
    plans = {"raw_inventory_updates": AssetPlan("raw_inventory_updates", "source", [
        PartitionPlan(day, "stale", reason, "v") for day in days
    ])}
    text = rendered(plan_table(plans), width=80)
    assert "…" not in text and "raw_inventory_updates" in text
    assert column(text, 2) == "2025-12-03..2025-12-05"
    assert column(text, 4) == reason.replace(" ", "")
