"""The one entry point: every asset declaration, with the platform defaults applied once."""

from __future__ import annotations

from dataclasses import replace
from functools import lru_cache

from assets.catalog import forecasting, insights, inventory, pos, reference
from assets.graph import AssetGraph, build_graph
from assets.model import AssetSpec
from assets.parts import check_parts

DOMAINS = (reference, pos, inventory, forecasting, insights)

DEFAULT_OWNER = "retail-data-platform"
DEFAULT_RETRIES = 2
DEFAULT_MAX_WAIT_MINUTES = 60  # a day's cascade builds in minutes; an hour of waiting means something stopped


def with_defaults(spec: AssetSpec) -> AssetSpec:
    """Owner, retries and the domain tag come from here, never from the declarations."""
    return replace(
        spec,
        owner=spec.owner or DEFAULT_OWNER,
        retries=DEFAULT_RETRIES if spec.retries is None else spec.retries,
        max_wait_minutes=spec.max_wait_minutes or DEFAULT_MAX_WAIT_MINUTES,
    )


def all_specs() -> list[AssetSpec]:
    return [with_defaults(spec) for domain in DOMAINS for spec in domain.ASSETS]


@lru_cache(maxsize=1)
def load_graph() -> AssetGraph:
    """The validated graph of every declared asset, each of its declared parts found."""
    return check_parts(build_graph(all_specs()))
