#!/usr/bin/env bash
# Every tier, in one pytest run (services, Spark, Airflow included): a test that never runs is worse than none.
# A service that cannot start makes its tests error (the session fixture raises), so `make test` fails loudly.
set -euo pipefail
cd "$(dirname "$0")/.."
exec pytest tests --ignore=tests/bench -p no:cacheprovider --durations=15 "$@"
