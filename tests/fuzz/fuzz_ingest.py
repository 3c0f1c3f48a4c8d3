"""Coverage-guided fuzzing of the ingest path of a batch (atheris; `make fuzz`, FUZZ_SECONDS long).

Each input becomes one Kafka batch of a declared topic: some records are arbitrary bytes, most are a till's
real event mutated field by field (a value replaced by any text, number or nesting, a field dropped or
repeated, the text cut, spliced or re-encoded). tests/fuzz/whole_path.py checks the promises. A batch that
breaks one is saved to tests/data/fuzz/ (where the unit tests replay it) before the fuzzer stops.

    PYTHONPATH=. python tests/fuzz/fuzz_ingest.py -max_total_time=120 -max_len=1024 -len_control=0 [CORPUS]
"""

from __future__ import annotations

import hashlib
import json
import sys
import tempfile
from pathlib import Path

import atheris

with atheris.instrument_imports(include=["spark", "tests.fuzz"]):  # our code: pyarrow's Python is not ours
    from spark.jobs import event_batches, pos_events  # noqa: F401 - instrumented for coverage
    from tests.fuzz.whole_path import check_whole_path, save_case

from infra.settings import Settings
from spark.schemas import TOPICS
from tests.unit.spark.test_event_batches import till_event
from tests.unit.spark.test_pos_events import RULES

TOPIC_NAMES = sorted(TOPICS)
LAKE = Settings(home=Path(tempfile.mkdtemp(prefix="shelfwise-fuzz-")), lake_url="", clickhouse_url="")
SPELLINGS = ["NaN", "-0", "1e400", "1" + "0" * 30, "true", "null", "[]", "{}", '"\\ud800"', '"\\u0000"']


def fuzzed_value(data: atheris.FuzzedDataProvider):
    """A JSON value of any kind, including text with any code point and numbers at the edges."""
    kind = data.ConsumeIntInRange(0, 6)
    if kind == 0:
        return data.ConsumeUnicode(data.ConsumeIntInRange(0, 40))  # may hold lone surrogates
    if kind == 1:
        return data.ConsumeInt(data.ConsumeIntInRange(1, 9))
    if kind == 2:
        return data.ConsumeFloat()  # NaN and infinities included
    if kind == 3:
        return data.ConsumeBool()
    if kind == 4:
        return None
    if kind == 5:
        return [fuzzed_value(data) for _ in range(data.ConsumeIntInRange(0, 3))]
    return {data.ConsumeUnicode(5): fuzzed_value(data) for _ in range(data.ConsumeIntInRange(0, 3))}


def mutated_event(data: atheris.FuzzedDataProvider, topic: str) -> bytes:
    """A till's event with a few structure-aware mutations, then maybe a byte-level one."""
    event = json.loads(till_event(topic, data.ConsumeIntInRange(0, 50)))
    extra = []
    for _ in range(data.ConsumeIntInRange(0, 3)):
        name = data.PickValueInList(sorted(event) + ["note"])
        action = data.ConsumeIntInRange(0, 4)
        if action == 0:
            event.pop(name, None)
        elif action in (1, 2):
            event[name] = fuzzed_value(data)
        elif action == 3:
            extra.append(f"{json.dumps(name)}: {data.PickValueInList(SPELLINGS)}")
        else:
            extra.append(f"{json.dumps(name)}: {json.dumps(fuzzed_value(data), allow_nan=True)}")
    text = json.dumps(event, allow_nan=True, ensure_ascii=data.ConsumeBool())
    if extra:
        text = text[:-1] + (", " if event else "") + ", ".join(extra) + "}"
    raw = text.encode("utf-8", "surrogatepass")
    edit = data.ConsumeIntInRange(0, 5)
    if edit == 0:
        at = data.ConsumeIntInRange(0, len(raw))
        raw = raw[:at] + data.ConsumeBytes(data.ConsumeIntInRange(0, 8)) + raw[at:]
    elif edit == 1:
        raw = raw[: data.ConsumeIntInRange(0, len(raw))]
    elif edit == 2:
        raw = text.encode(data.PickValueInList(["utf-16", "utf-32", "latin-1"]), "replace")
    return raw


def batch(data: atheris.FuzzedDataProvider) -> tuple[str, list[bytes | None]]:
    topic = data.PickValueInList(TOPIC_NAMES)
    values = []
    for _ in range(data.ConsumeIntInRange(1, 12)):
        kind = data.ConsumeIntInRange(0, 7)
        if kind == 0:
            values.append(data.ConsumeBytes(data.ConsumeIntInRange(0, 200)))
        elif kind == 1:
            values.append(None if data.ConsumeBool() else till_event(topic, data.ConsumeIntInRange(0, 50)))
        else:
            values.append(mutated_event(data, topic))
    return topic, values


def test_one_input(raw: bytes) -> None:
    topic, values = batch(atheris.FuzzedDataProvider(raw))
    try:
        check_whole_path(topic, values, RULES, LAKE)
    except BaseException:
        digest = hashlib.sha256(repr((topic, values)).encode()).hexdigest()[:12]
        saved = save_case(f"found-{digest}", topic, values)
        print(f"\nbroken promise; batch saved to {saved}", file=sys.stderr)
        raise


if __name__ == "__main__":
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()
