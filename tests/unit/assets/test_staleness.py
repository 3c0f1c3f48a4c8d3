"""Staleness, property-based: exactly the partitions that (transitively) read a change turn stale."""

from datetime import date, timedelta
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from assets.graph import build_graph, input_keys
from assets.model import AssetSpec, Lake, all_up_to, as_of_build, latest_before, previous_day, window
from assets.records import Record
from assets.versions import VersionState, plan_derived, plan_source

DAYS = [(date(2026, 1, 5) + timedelta(days=i)).isoformat() for i in range(40)]


def spec(name, upstream=(), partitioning="daily", code="v1"):
    return AssetSpec(name, name, "x:y", Lake(name), upstream, partitioning, code_version=code)


def retail_like_graph(window_days: int, code: str = "v1"):
    """sales -> snapshot (own previous day) -> features (window) -> model (weekly) -> orders."""
    return build_graph([
        spec("sales"),
        spec("snapshot", ["sales", previous_day("snapshot")], code=code),
        spec("features", [window("snapshot", window_days)]),
        spec("model", [all_up_to("features")], partitioning="weekly"),
        spec("orders", ["features", latest_before("model")]),
    ])


def plan_all(graph, observed, latest):
    state, plans = VersionState(), {}
    for name in graph.order:
        s = graph[name]
        if s.is_source:
            plans[name] = plan_source(s, observed, latest)
            state.versions[name] = dict(observed)
        else:
            plans[name] = plan_derived(graph, s, state, latest, s.code_version)
    return plans


def build_everything(plans):
    """The records a successful run of the whole plan leaves behind."""
    return {
        (name, p.key): Record(
            "r", name, p.key, "success", p.data_version, plan.code_version, p.input_versions
        )
        for name, plan in plans.items() for p in plan.partitions if p.status != "waiting"
    }


def stale(plans):
    return {(name, p.key) for name, plan in plans.items() for p in plan.partitions if p.needs_build}


def reads_from(graph, plans, changed):
    """Brute force over the partition graph: which partitions read a changed one, directly or not."""
    hit = set(changed)
    for name in graph.order:
        s = graph[name]
        if s.is_source:
            continue
        available = {n: [p.key for p in plans[n].partitions if p.status != "waiting"] for n in graph.order}
        for p in plans[name].partitions:
            if p.status == "waiting":
                continue
            for up in s.upstream:
                if any((up.asset, k) in hit for k in input_keys(s, up, p.key, available[up.asset])):
                    hit.add((name, p.key))
    return hit


@settings(max_examples=60, deadline=None)
@given(
    window_days=st.integers(1, 20),
    late_day=st.sampled_from(DAYS),
)
def test_a_late_event_invalidates_exactly_what_reads_its_day(window_days, late_day):
    graph = retail_like_graph(window_days)
    observed = {d: f"v-{d}" for d in DAYS}
    first = plan_all(graph, observed, {})
    latest = build_everything(first)
    assert stale(plan_all(graph, observed, latest)) == set(), "no change must keep everything fresh"

    observed[late_day] = "v-late"
    second = plan_all(graph, observed, latest)
    assert stale(second) == reads_from(graph, second, {("sales", late_day)})


@settings(max_examples=30, deadline=None)
@given(window_days=st.integers(1, 20))
def test_a_code_change_makes_the_asset_and_everything_downstream_stale(window_days):
    observed = {d: f"v-{d}" for d in DAYS}
    latest = build_everything(plan_all(retail_like_graph(window_days), observed, {}))
    changed = plan_all(retail_like_graph(window_days, code="v2"), observed, latest)
    partitions = {(n, p.key) for n, plan in changed.items() for p in plan.partitions if p.status != "waiting"}
    expected = {(n, k) for n, k in partitions if n != "sales"}
    assert stale(changed) == expected
    assert all("code version changed" in p.reason for p in changed["snapshot"].partitions)


def test_stale_reason_names_the_changed_upstream_days():
    graph = retail_like_graph(7)
    observed = {d: f"v-{d}" for d in DAYS}
    latest = build_everything(plan_all(graph, observed, {}))
    observed[DAYS[10]] = "late"
    features = {p.key: p for p in plan_all(graph, observed, latest)["features"].partitions}
    # snapshot rebuilds from the late day forward, so features see a run of changed snapshot days
    assert features[DAYS[12]].reason == f"snapshot {DAYS[10]}..{DAYS[12]} changed"


def test_a_new_day_only_adds_work_for_that_day_and_what_reads_it():
    graph = retail_like_graph(7)
    observed = {d: f"v-{d}" for d in DAYS[:-1]}
    latest = build_everything(plan_all(graph, observed, {}))
    observed[DAYS[-1]] = "new"
    todo = stale(plan_all(graph, observed, latest))
    assert {k for n, k in todo if n in ("sales", "snapshot", "features", "orders")} == {DAYS[-1]}


def test_a_job_code_version_covers_the_project_modules_it_imports_but_not_plumbing(tmp_path):
    from assets.versions import project_sources

    files = {
        "spark/jobs/stock.py": "from spark.jobs.ledger import balance\nfrom spark.session import get_spark\n",
        "spark/jobs/ledger.py": "import spark.rules\nimport pandas\n",
        "spark/rules.py": "from spark import schemas\n",
        "spark/schemas.py": "COLUMNS = []\n",
        "spark/session.py": "import spark.jobs.unused\n",
        "spark/jobs/unused.py": "",
    }
    for relative, text in files.items():
        (tmp_path / relative).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / relative).write_text(text)
    names = [n for n, _ in project_sources("spark.jobs.stock", tmp_path / "spark/jobs/stock.py")]
    assert names == ["spark.jobs.ledger", "spark.jobs.stock", "spark.rules", "spark.schemas"]


def test_the_inventory_job_version_changes_with_its_ledger_helper():
    from assets.definitions import load_graph
    from assets.versions import project_sources

    spec = load_graph()["inventory_snapshot"]
    module = spec.job.split(":")[0]
    origin = Path(__file__).resolve().parents[3].joinpath(*module.split(".")).with_suffix(".py")
    assert "spark.jobs.ledger" in dict(project_sources(module, origin))


def plan_with_rejected(graph, observed, latest, rejected: set[str]):
    """plan_all, with the source's days in `rejected` turned down by its gate this run."""
    state, plans = VersionState(), {}
    for name in graph.order:
        s = graph[name]
        if s.is_source:
            plans[name] = plan_source(s, observed, latest)
            state.versions[name] = {k: v for k, v in observed.items() if k not in rejected}
            state.rejected[name] = set(rejected)
        else:
            plans[name] = plan_derived(graph, s, state, latest, s.code_version)
    return plans


@settings(max_examples=60, deadline=None)
@given(rejected_day=st.sampled_from(DAYS[1:]), first_built=st.integers(0, len(DAYS) - 1))
def test_a_rejected_day_holds_every_later_ledger_day_and_changes_no_earlier_one(rejected_day, first_built):
    """Rejecting day D never changes another day's opening stock: days before D keep the versions they would
    have had, and D and every later ledger day wait (never restarting from zero stock) until D is fixed."""
    graph = retail_like_graph(7)
    observed = {d: f"v-{d}" for d in DAYS}
    earlier = {d: v for d, v in observed.items() if d < DAYS[first_built]}
    latest = build_everything(plan_all(graph, earlier, {}))

    clean = {p.key: p for p in plan_all(graph, observed, latest)["snapshot"].partitions}
    rejecting = plan_with_rejected(graph, observed, latest, {rejected_day})
    held = {p.key: p for p in rejecting["snapshot"].partitions}

    for day in DAYS:
        if day < rejected_day:
            assert (held[day].status, held[day].data_version) == (clean[day].status, clean[day].data_version)
        elif day == DAYS[-1] == rejected_day:
            assert day not in held  # the series ends the day before; consumers keep the last validated one
        else:
            assert held[day].status == "waiting", (day, held[day])
    if rejected_day != DAYS[-1]:
        assert "rejected" in held[rejected_day].reason
        later = DAYS[DAYS.index(rejected_day) + 1]
        assert held[later].reason == "no snapshot partition for it yet"


def test_only_the_first_day_of_a_ledger_builds_without_its_previous_day():
    graph = retail_like_graph(7)
    plans = plan_all(graph, {d: f"v-{d}" for d in DAYS}, {})
    first, *rest = plans["snapshot"].partitions
    assert first.key == DAYS[0] and first.needs_build and first.input_versions["snapshot"] == {}
    assert all(p.input_versions["snapshot"] for p in rest)


def reference_graph():
    """stores (a reference dimension) read as of build by a source and by a derived asset."""
    return build_graph([
        spec("stores", partitioning="none"),
        spec("sales", [as_of_build("stores")]),
        spec("snapshot", ["sales", as_of_build("stores")]),
    ])  # fmt: skip


def plan_reference(graph, stores: dict, latest, rejected: bool = False):
    state = VersionState()
    state.versions = {"stores": dict(stores), "sales": {d: f"s-{d}" for d in DAYS[:5]}}
    if rejected:
        state.rejected["stores"] = {""}
    return plan_derived(graph, graph["snapshot"], state, latest, "v1")


def test_a_reference_change_reaches_new_days_and_rebuilds_no_built_one():
    graph = reference_graph()
    assert graph["sales"].is_source and not graph["snapshot"].is_source
    built = build_everything({"snapshot": plan_reference(graph, {"": "stores-v1"}, {})})
    assert all(p.status == "fresh" for p in plan_reference(graph, {"": "stores-v2"}, built).partitions)
    unbuilt = plan_reference(graph, {"": "stores-v2"}, {})
    assert all("stores" not in p.input_versions for p in unbuilt.partitions)


def test_a_missing_or_rejected_reference_holds_its_readers():
    graph = reference_graph()
    missing = plan_reference(graph, {}, {})
    waits = {(p.status, p.reason) for p in missing.partitions}
    assert waits == {("waiting", "no stores partition for it yet")}
    rejected = plan_reference(graph, {"": "stores-v2"}, {}, rejected=True)
    waits = {(p.status, p.reason) for p in rejected.partitions}
    assert waits == {("waiting", "stores was rejected by its gate")}
