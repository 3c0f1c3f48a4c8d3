# The two commands a newcomer needs: `make demo` and `make test`. Both install what is missing first.
SHELL := /bin/bash
VENV := .venv
BIN := $(CURDIR)/$(VENV)/bin
# spark-submit, airflow and shelfwise come from the virtualenv.
export PATH := $(BIN):$(PATH)

.PHONY: install demo test test-fast bench lint services-up services-down clean

install:
	@infra/install.sh all

demo: install
	shelfwise demo

test: install
	@infra/install.sh browser
	ruff check assets dags spark expectations infra tests
	bash tests/run.sh

bench: install
	pytest tests/bench -m bench -p no:cacheprovider

# Lint (also the first step of `make test`). No `ruff format --check`: some tables stay compact on purpose.
lint: install
	ruff check assets dags spark expectations infra tests

services-up: install
	shelfwise services up

services-down:
	shelfwise services down

clean:
	-shelfwise services down
	rm -rf .shelfwise
