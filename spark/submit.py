"""spark-submit entry point: build one asset's planned run; what the job reported is saved with the run.

    spark-submit spark/submit.py --asset daily_features --partitions 2026-01-01,2026-01-02 \
        --run-id RUN [--graph assets.definitions:load_graph]

The run was planned by the DAG's check step and saved in the lake (assets/run.py); `--partitions` repeats
its partitions so they show on the command line, and must agree with it.

`--graph` names the asset graph as "module:attribute" (a graph, or a function returning one); the module may
also be a path to a .py file, which lets tests submit a small graph of their own.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEFAULT_GRAPH = "assets.definitions:load_graph"


def load_graph_ref(ref: str):
    """The AssetGraph named by 'module:attr' or '/path/file.py:attr' (called when it is a function)."""
    module_name, _, attribute = ref.rpartition(":")
    if not module_name or not attribute:
        raise ValueError(f"--graph must look like 'module:attribute', got {ref!r}")
    if module_name.endswith(".py"):
        spec = importlib.util.spec_from_file_location(Path(module_name).stem, module_name)
        if spec is None or spec.loader is None:
            raise FileNotFoundError(f"graph module file not found: {module_name}")
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module
        spec.loader.exec_module(module)
    else:
        module = importlib.import_module(module_name)
    found = getattr(module, attribute)
    return found() if callable(found) else found


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="spark/submit.py", description="Build one asset's partitions.")
    parser.add_argument("--asset", required=True, help="asset name, e.g. daily_features")
    parser.add_argument("--partitions", default="", help="comma-separated day keys; empty for a source")
    parser.add_argument("--run-id", required=True, help="the run id recorded with the build")
    parser.add_argument("--graph", default=DEFAULT_GRAPH, help="asset graph as module:attribute")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    from assets.run import RunStateError  # lazy: as a script, the repo is on sys.path once __main__ fixed it
    from assets.steps import build, parse_partitions  # lazy: importable only after __main__ fixes sys.path
    from infra.settings import get_settings  # lazy: importable only after __main__ fixes sys.path

    graph = load_graph_ref(args.graph)
    if args.asset not in graph.assets:
        print(f"unknown asset {args.asset!r}; known: {', '.join(graph.order)}", file=sys.stderr)
        return 2
    try:
        result = build(graph, get_settings(), args.asset, parse_partitions(args.partitions), args.run_id)
    except RunStateError as unplanned:
        print(unplanned, file=sys.stderr)
        return 2
    print(f"{args.asset}: {result['row_count']} rows, saved with run {args.run_id}")
    return 0


if __name__ == "__main__":
    # spark-submit puts only this file's folder (spark/) on sys.path: swap it for the repository root so
    # `spark/session.py` and friends never shadow top-level modules.
    _here = Path(__file__).resolve().parent
    sys.path[:] = [str(REPO)] + [p for p in sys.path if Path(p or ".").resolve() != _here]
    sys.exit(main())
