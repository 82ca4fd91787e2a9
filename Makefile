# The commands a person types. `make test` and `make demo` work on a fresh machine:
# they install what they need (pinned) into the project.

SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
EMULATOR := $(VENV)/.emulator-installed
WITH_DYNAMODB := tests/emulator/with-dynamodb

.PHONY: help test demo local emulator bench fmt lint clean

help:
	@echo "make test    unit, integration and emulator tests"
	@echo "make demo    the main job (arrives with the deployment issue)"
	@echo "make local   the stack on loopback until Ctrl-C (MODELWATCH_PORT, default 8787)"
	@echo "make bench   benchmarks that print numbers"

# The DynamoDB emulator (moto server) in a virtualenv under the project.
$(EMULATOR): tests/emulator/requirements.txt tests/emulator/constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check \
		-r tests/emulator/requirements.txt -c tests/emulator/constraints.txt
	touch $@

emulator: $(EMULATOR)

test: $(EMULATOR)
	$(WITH_DYNAMODB) cargo test --workspace --locked

local: $(EMULATOR)
	cargo build --quiet -p modelwatch --bin modelwatch -p modelwatch-tests --bin modelwatch-local
	$(WITH_DYNAMODB) target/debug/modelwatch-local

demo:
	@echo "make demo arrives with the deployment issue (#7): for now, 'make test'."

bench:
	cargo bench -p modelwatch --bench lifecycle --bench webhook

fmt:
	cargo fmt --all

lint:
	cargo fmt --all -- --check
	cargo clippy --workspace --all-targets -- -D warnings

clean:
	rm -rf $(VENV) target .modelwatch
