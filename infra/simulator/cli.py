"""`shelfwise simulate`. Filled in by issue 4."""


def simulate() -> None:
    raise SystemExit("shelfwise simulate: not built yet (issue 4)")
