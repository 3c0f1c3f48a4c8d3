"""Contracts for the DataFrames jobs read and write: types, nullability, ranges.

A job calls `check(frame, "raw_sales")` on its output (and on inputs it does not trust) before writing,
so a broken transform fails fast with the column and the rule named, and nothing half-valid lands in the
lake. One definition checks pandas frames (with pandera) and Spark DataFrames (the same rules, one Spark
job).
Columns not named in a contract are allowed; the listed ones must be present.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from spark.schemas import DIM_PRODUCTS, DIM_STORES, DIM_SUPPLIERS, INGEST_COLUMNS, RAW_SCHEMAS


@dataclass(frozen=True)
class Rule:
    """One column's contract: Spark SQL type name (None: any), nullability, bounds, allowed values."""

    column: str
    type: str | None
    nullable: bool = False
    ge: float | None = None
    gt: float | None = None
    le: float | None = None
    isin: tuple = field(default=())


@dataclass(frozen=True)
class Limit:
    """The values one raw column may hold, for one event kind when `kind` is set.

    Declared once, in LIMITS: the ingest quarantines a value outside it event by event (pos_events,
    event_batches), the live-stock stream moves no stock with it, and the raw asset's contract and suite
    block it. The gate can then never meet a value the ingest let through, so one till line cannot reject a
    whole chain-day (tests/unit/spark/test_limits.py checks all of them at every edge).
    """

    column: str
    low: float
    high: float | None = None
    above_low: bool = False  # low itself is refused: a price of 0 is a price-file error, not a gift
    kind: str | None = None
    nonzero: bool = False  # 0 is refused: an adjustment of 0 moves nothing

    def holds(self, value: float) -> bool:
        above = value > self.low if self.above_low else value >= self.low
        return above and (self.high is None or value <= self.high) and not (self.nonzero and value == 0)


LIMITS: dict[str, tuple[Limit, ...]] = {
    # 500 units on one till line is a barcode scanned into the quantity field
    "raw_sales": (Limit("quantity", 1, 500), Limit("unit_price", 0, above_low=True), Limit("discount", 0)),
    "raw_receipts": (Limit("quantity", 1, 100_000), Limit("unit_cost", 0)),
    "raw_inventory_updates": (Limit("quantity", 0, 100_000, kind="count"),
                              Limit("quantity", -10_000, 10_000, kind="adjustment", nonzero=True)),
    "raw_price_changes": (Limit("price", 0, above_low=True),),
    "raw_purchase_orders": (Limit("quantity", 1, 100_000),),
}


def limit(asset: str, column: str, kind: str | None = None) -> Limit | None:
    """The limit on `column` of `asset` (for events of `kind` when it has per-kind limits), if any."""
    found = [lim for lim in LIMITS.get(asset, ()) if lim.column == column and lim.kind in (None, kind)]
    return found[0] if found else None


def _bounds(asset: str) -> dict[str, dict]:
    """Contract bounds of the asset's limits that hold for every kind (per-kind ones stay with the ingest)."""
    return {lim.column: {"gt" if lim.above_low else "ge": lim.low, "le": lim.high}
            for lim in LIMITS.get(asset, ()) if lim.kind is None}


class ContractViolation(ValueError):
    """A DataFrame broke its contract; the message names every failing column and rule."""


def _rules(columns: list[tuple[str, str]], nullable: tuple[str, ...] = (), **overrides: dict) -> list[Rule]:
    return [Rule(c, t, c in nullable, **overrides.get(c, {})) for c, t in columns]


_RAW_NULLABLE = ("basket_id", "terminal_id", "discount", "reason", "po_id", "supplier_id", "unit_cost")
CONTRACTS: dict[str, list[Rule]] = {
    "raw_sales": _rules(RAW_SCHEMAS["raw_sales"] + INGEST_COLUMNS, _RAW_NULLABLE,
                        kind={"isin": ("sale", "return")}, **_bounds("raw_sales")),
    "raw_receipts": _rules(RAW_SCHEMAS["raw_receipts"] + INGEST_COLUMNS, _RAW_NULLABLE,
                           **_bounds("raw_receipts")),
    "raw_inventory_updates": _rules(RAW_SCHEMAS["raw_inventory_updates"] + INGEST_COLUMNS, _RAW_NULLABLE,
                                    kind={"isin": ("count", "adjustment")}),
    "raw_price_changes": _rules(RAW_SCHEMAS["raw_price_changes"] + INGEST_COLUMNS, _RAW_NULLABLE,
                                **_bounds("raw_price_changes")),
    "raw_purchase_orders": _rules(RAW_SCHEMAS["raw_purchase_orders"] + INGEST_COLUMNS,
                                  kind={"isin": ("placed", "cancelled")}, **_bounds("raw_purchase_orders")),
    # reference dimensions (inputs of every curated job), named as in lake_io.read_dimension
    "stores": _rules(DIM_STORES, ("name", "city", "region", "country", "square_footage", "store_type"),
                     opens_at_hour={"ge": 0, "le": 24}, closes_at_hour={"ge": 0, "le": 24}),
    "products": _rules(DIM_PRODUCTS, ("name", "category", "sub_category", "brand", "supplier_id",
                                      "shelf_life_days"),
                       unit_cost={"ge": 0}, list_price={"gt": 0}, case_pack={"ge": 1}),
    "suppliers": _rules(DIM_SUPPLIERS, ("name",), lead_time_days={"ge": 0}, lead_time_std_days={"ge": 0},
                        min_order_units={"ge": 0}),
    "inventory_snapshot": _rules(
        [("store_id", "string"), ("sku", "string"), ("date", "date"), ("opening_on_hand", "bigint"),
         ("sold", "bigint"), ("returned", "bigint"), ("received", "bigint"), ("adjusted", "bigint"),
         ("closing_on_hand", "bigint"), ("discrepancy", "boolean"), ("stock_out", "boolean"),
         ("stock_out_hours", "double"), ("days_of_cover", "double"), ("value_at_cost", "double"),
         ("store_silent", "boolean")],
        ("days_of_cover", "value_at_cost"),
        opening_on_hand={"ge": 0}, sold={"ge": 0}, returned={"ge": 0}, received={"ge": 0},
        closing_on_hand={"ge": 0}, stock_out_hours={"ge": 0, "le": 24}),
    "daily_features": _rules(
        [("store_id", "string"), ("sku", "string"), ("date", "date"), ("units_sold", "double"),
         ("stock_out", "boolean"), ("lag_1", "double"), ("lag_7", "double"), ("mean_28", "double"),
         ("price", "double"), ("promo", "boolean"), ("day_of_week", "int"), ("is_holiday", "boolean")],
        ("lag_1", "lag_7", "mean_28"),
        units_sold={"ge": 0}, lag_1={"ge": 0}, lag_7={"ge": 0}, mean_28={"ge": 0}, price={"gt": 0},
        day_of_week={"ge": 1, "le": 7}),
    "open_orders": _rules(
        [("store_id", "string"), ("sku", "string"), ("date", "date"), ("on_order", "bigint"),
         ("open_lines", "int"), ("next_due_date", "date"), ("overdue_units", "bigint")],
        ("next_due_date",), on_order={"ge": 0}, open_lines={"ge": 0}, overdue_units={"ge": 0}),
    "reorder_predictions": _rules(
        [("store_id", "string"), ("sku", "string"), ("date", "date"), ("safety_stock", "double"),
         ("reorder_point", "double"), ("recommended_order_qty", None), ("stock_out_probability", "double"),
         ("urgency", "string")],
        # null where the SKU's supplier or case pack is missing: the reorder_predictions gate blocks the day
        ("safety_stock", "reorder_point", "recommended_order_qty", "stock_out_probability", "urgency"),
        safety_stock={"ge": 0}, reorder_point={"ge": 0}, recommended_order_qty={"ge": 0},
        stock_out_probability={"ge": 0, "le": 1}, urgency={"isin": ("low", "medium", "high", "critical")}),
    "sales_anomalies": _rules(
        [("store_id", "string"), ("sku", "string"), ("date", "date"), ("units_sold", "double"),
         ("expected_units", "double"), ("spread", "double"), ("sales_z", "double"), ("inventory_z", "double"),
         ("score", "double"), ("reason", "string"), ("is_anomaly", "boolean")],
        ("expected_units", "sales_z"),
        units_sold={"ge": 0}, spread={"ge": 1}, inventory_z={"ge": 0}, score={"ge": 0},
        reason={"isin": ("none", "sales_spike", "sales_drop", "count_shortfall", "count_surplus",
                         "negative_book")}),
    "slow_movers": _rules(
        [("store_id", "string"), ("sku", "string"), ("date", "date"), ("on_hand", "double"),
         ("at_risk_probability", "double"), ("at_risk", "boolean"), ("method", "string")],
        ("at_risk_probability",),
        on_hand={"ge": 0}, at_risk_probability={"ge": 0, "le": 1},
        method={"isin": ("random_forest", "cover_rule")}),
    "cross_sell": _rules(
        [("store_id", "string"), ("sku", "string"), ("related_sku", "string"), ("date", "date"),
         ("rank", "int"),
         ("affinity", "double"), ("baskets_together", "bigint"), ("method", "string")],
        rank={"ge": 1}, baskets_together={"ge": 0}, method={"isin": ("als", "co_occurrence")}),
}


def check(frame: Any, contract_name: str) -> Any:
    """Validate a Spark or pandas DataFrame against a contract; returns it, or raises ContractViolation."""
    if contract_name not in CONTRACTS:
        raise KeyError(f"no contract {contract_name!r}; known: {', '.join(sorted(CONTRACTS))}")
    rules = CONTRACTS[contract_name]
    missing = [r.column for r in rules if r.column not in frame.columns]
    problems = [f"column '{c}': missing" for c in missing]
    present = [r for r in rules if r.column not in missing]
    spark = _is_spark(frame)
    problems += _spark_problems(frame, present) if spark else _pandas_problems(frame, contract_name, present)
    if problems:
        raise ContractViolation(f"{contract_name} contract violated: " + "; ".join(problems))
    return frame


def _is_spark(frame: Any) -> bool:
    return type(frame).__module__.startswith("pyspark.")


def _checks(module: Any, rule: Rule) -> list:
    checks = [module.Check.ge(rule.ge) if rule.ge is not None else None,
              module.Check.gt(rule.gt) if rule.gt is not None else None,
              module.Check.le(rule.le) if rule.le is not None else None,
              module.Check.isin(list(rule.isin)) if rule.isin else None]
    return [c for c in checks if c is not None]


def _spark_problems(frame: Any, rules: list[Rule]) -> list[str]:
    """Types from the schema, then every null, bound and allowed-values rule counted in one Spark job.

    pandera's pyspark backend runs one Spark job per column rule (34 for inventory_snapshot), each a pass
    over the frame; the rules and their names are pandera's (Check.ge and friends), so a frame gets the
    same verdict on either path (tests/unit/spark/test_contracts.py compares them).
    """
    from pyspark.sql import functions as F  # lazy: pyspark ~45 ms; every DAG parse imports this module

    actual = {f.name: f.dataType for f in frame.schema.fields}
    problems = [f"column '{r.column}': expected {_spark_type(r.type)}, got {actual[r.column]}"
                for r in rules if r.type and actual[r.column] != _spark_type(r.type)]
    broken = [(r.column, name, F.count_if(condition)) for r in rules for name, condition in _broken(F, r)]
    if not broken:
        return problems
    counts = frame.select(*[count.alias(str(i)) for i, (_, _, count) in enumerate(broken)]).first()
    return problems + [f"column '{column}': {name} ({counts[i]:,} rows)"
                       for i, (column, name, _) in enumerate(broken) if counts[i]]


def _broken(F: Any, rule: Rule) -> list[tuple[str, Any]]:
    """(pandera's name for the rule, a condition true on each row breaking it); a null breaks only
    nullability, as in pandera."""
    column, found = F.col(rule.column), []
    if not rule.nullable:
        found.append(("not_nullable", column.isNull()))
    if rule.ge is not None:
        found.append((f"greater_than_or_equal_to({rule.ge})", column < rule.ge))
    if rule.gt is not None:
        found.append((f"greater_than({rule.gt})", column <= rule.gt))
    if rule.le is not None:
        found.append((f"less_than_or_equal_to({rule.le})", column > rule.le))
    if rule.isin:
        found.append((f"isin({list(rule.isin)})", ~column.isin(list(rule.isin))))
    return found


def _pandas_problems(frame: Any, name: str, rules: list[Rule]) -> list[str]:
    import pandera.errors  # lazy: pandera ~300 ms; every DAG parse imports this module
    import pandera.pandas as pa  # lazy: pandera ~300 ms; every DAG parse imports this module

    schema = pa.DataFrameSchema(
        {r.column: pa.Column(_pandas_type(r.type), _checks(pa, r), nullable=r.nullable, coerce=False)
         for r in rules}, name=name,
    )
    try:
        schema.validate(frame, lazy=True)
    except pandera.errors.SchemaErrors as exc:
        cases = exc.failure_cases.drop_duplicates(["column", "check"])
        return [f"column '{c.column}': {c.check} (e.g. {c.failure_case!r})" for c in cases.itertuples()]
    return []


def _spark_type(name: str | None) -> Any:
    from pyspark.sql import types as T  # lazy: pyspark ~45 ms; every DAG parse imports this module

    types = {"string": T.StringType(), "int": T.IntegerType(), "bigint": T.LongType(),
             "double": T.DoubleType(), "boolean": T.BooleanType(), "timestamp": T.TimestampType(),
             "date": T.DateType()}
    return types[name] if name else None


def _pandas_type(name: str | None) -> Any:
    # pandas cannot hold a nullable int64 and numpy int at once; ints are checked as "integer" only
    types = {"string": None, "int": None, "bigint": None, "double": "float64", "boolean": None,
             "timestamp": None, "date": None}
    return types[name] if name else None
