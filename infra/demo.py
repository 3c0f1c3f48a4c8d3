"""`shelfwise demo`: the whole main job end to end on the embedded default."""


def demo() -> None:
    raise SystemExit("shelfwise demo: not built yet")
