# The two commands a newcomer needs: `make demo` and `make test`. Both install what is missing first.
SHELL := /bin/bash
VENV := .venv
BIN := $(CURDIR)/$(VENV)/bin
# spark-submit, airflow and shelfwise come from the virtualenv.
export PATH := $(BIN):$(PATH)

.PHONY: install demo test bench fuzz lint services-up services-down clean

install:
	@infra/install.sh all

demo: install
	shelfwise demo

test: install
	@infra/install.sh browser
	ruff check assets dags spark expectations infra tests
	lint-imports --no-logo
	bash tests/run.sh

bench: install
	pytest tests/bench -m bench -p no:cacheprovider

# Coverage-guided fuzzing of the ingest path for FUZZ_SECONDS (docs/ingestion.md). A batch that breaks a promise
# is saved to tests/data/fuzz/, which `make test` replays; the fuzzer's working corpus stays in the cache.
FUZZ_SECONDS ?= 120
FUZZ_WORK := $(HOME)/.cache/shelfwise/fuzz
fuzz: install
	VIRTUAL_ENV=$(CURDIR)/$(VENV) $(BIN)/uv pip install -q -c constraints.txt -e '.[fuzz]'
	mkdir -p $(FUZZ_WORK)/corpus
	PYTHONPATH=$(CURDIR) python tests/fuzz/fuzz_ingest.py -max_total_time=$(FUZZ_SECONDS) -max_len=1024 \
	  -len_control=0 -print_final_stats=1 -artifact_prefix=$(FUZZ_WORK)/ $(FUZZ_WORK)/corpus

# Lint (also the first step of `make test`): ruff, then the layer floors of pyproject's [tool.importlinter].
# No `ruff format --check`: some tables stay compact on purpose.
lint: install
	ruff check assets dags spark expectations infra tests
	lint-imports --no-logo

services-up: install
	shelfwise services up

services-down:
	shelfwise services down

clean:
	-shelfwise services down
	rm -rf .shelfwise
