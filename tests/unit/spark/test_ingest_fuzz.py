"""The whole ingest path of a batch (classify -> Parquet day files and quarantine, read back) on generated and
hostile input, for every declared topic: nothing escapes, each record is written once or quarantined once, a
written row reads back equal to what `classify` makes of it. The checks live in tests/fuzz/whole_path.py; the
coverage-guided fuzzer (`make fuzz`) runs the same checks."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from spark.schemas import TOPICS
from tests.conftest import isolated_settings
from tests.fuzz.whole_path import CORPUS, check_whole_path, load_case
from tests.unit.spark.test_event_batches import mangled, readers_disagree, till_event
from tests.unit.spark.test_pos_events import RULES

hostile_text = st.text(st.characters(codec="utf-8") | st.characters(categories=["Cs"]), max_size=30)


@st.composite
def hostile(draw, topic: str) -> bytes | None:
    """A record of `topic`: mangled at a rule's edge, respelled so readers disagree, any bytes, or a till's
    event with a field set to any text (lone surrogates included) or any JSON value."""
    choice = draw(st.integers(0, 5))
    if choice == 0:
        return draw(st.none() | st.binary(max_size=300))
    if choice == 1:
        return draw(st.sampled_from(readers_disagree(json.loads(till_event(topic, 3))))).encode(
            "utf-8", "surrogatepass"
        )
    if choice == 2:
        event = json.loads(till_event(topic, draw(st.integers(0, 20))))
        event[draw(st.sampled_from(sorted(event)))] = draw(hostile_text | st.integers() | st.floats())
        return json.dumps(event, ensure_ascii=draw(st.booleans())).encode("utf-8", "surrogatepass")
    return draw(mangled(topic))


@st.composite
def hostile_batches(draw):
    topic = draw(st.sampled_from(sorted(TOPICS)))
    records = draw(st.lists(hostile(topic), min_size=1, max_size=40))
    good = [till_event(topic, n) for n in range(draw(st.integers(0, 80)))]
    at = draw(st.integers(0, len(good)))
    return topic, good[:at] + records + good[at:]


@pytest.fixture(scope="module")
def lake(tmp_path_factory):
    return isolated_settings(tmp_path_factory.mktemp("fuzz") / "home")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=hostile_batches())
def test_no_record_stops_its_batch_and_every_written_row_reads_back(lake, case):
    topic, values = case
    check_whole_path(topic, values, RULES, lake)


def test_every_declared_topic_goes_the_whole_path(lake):
    for topic in TOPICS:
        values = [till_event(topic, n) for n in range(50)] + [b"{}", None, b"\xff"]
        out = check_whole_path(topic, values, RULES, lake)
        assert out["_reason"].null_count == 50, topic


def corpus() -> list[Path]:
    return sorted(CORPUS.glob("*.json"))


@pytest.mark.parametrize("path", corpus(), ids=lambda p: p.stem)
def test_inputs_that_found_bugs_stay_fixed(lake, path):
    topic, values = load_case(path)
    check_whole_path(topic, values, RULES, lake)


def test_the_regression_corpus_is_there():
    assert len(corpus()) >= 2
