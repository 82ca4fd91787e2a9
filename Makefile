# The commands a person types. `make test` and `make demo` work on a fresh machine:
# they install what they need (pinned) into the project.

SHELL := bash
# No __pycache__ under infra/: shared/build.rs watches infra/ for the bundled configuration,
# so bytecode written there by the template checks would rebuild every function.
export PYTHONDONTWRITEBYTECODE := 1
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
EMULATOR := $(VENV)/.emulator-installed
WITH_DYNAMODB := tests/emulator/with-dynamodb
SAM_VENV := .venv-sam
SAM_TOOLS := $(SAM_VENV)/.installed
CHECKOV_VENV := .venv-checkov
CHECKOV := $(CHECKOV_VENV)/.installed
LAMBDA_VENV := .venv-lambda
LAMBDA_TOOLS := $(LAMBDA_VENV)/.installed
BENCH_VENV := .venv-bench
BENCH_TOOLS := $(BENCH_VENV)/.installed
# The HTTP load generator of `make bench`, from crates.io, pinned, into the project.
OHA_VERSION := 1.16.0
OHA := .tools/bin/oha
NAB_VENV := .venv-nab
NAB_TOOLS := $(NAB_VENV)/.installed
# A NAB-layout tree (data/<category>/*.csv, labels/combined_windows.json, config/profiles.json);
# the full corpus scores the same way: make nab NAB_TREE=path/to/NAB
NAB_TREE ?= ../shared/reference/nab-tree
NAB_SCORER ?= ../shared/tools/nab_modelwatch.py
FUNCTIONS := intake evaluator prober escalator reporter
# Your deployment's own files (infra/deployment/README.md); upgrades never touch them.
DEPLOYMENT := infra/deployment
SAM := SAM_CLI_TELEMETRY=0 $(SAM_VENV)/bin/sam
# How `make deploy` builds, and so what `make deploy-check` builds and checks.
SAM_BUILD := $(SAM) build --template-file infra/template.yaml --beta-features --no-cached

.PHONY: help test test-rust test-bench-tools test-infra test-deploy-smoke deploy-check demo local build emulator bench soak fuzz nab nab-synthetic fmt lint docs clean deployment deploy

help:
	@echo "make test    unit, integration and emulator tests"
	@echo "make demo    the main job: a scenario replayed through the real handlers"
	@echo "make local   the stack on loopback until Ctrl-C (MODELWATCH_PORT, default 8787)"
	@echo "make build   Lambda packages (bootstrap in a zip per function) and their sizes"
	@echo "make deployment  your deployment's files in infra/deployment/ (from the examples)"
	@echo "make deploy  validate, sam build and sam deploy your deployment (AWS credentials)"
	@echo "make deploy-check  sam build, then what sam deploy would upload, checked (slow)"
	@echo "make bench   every benchmark, written to docs/benchmarks.md (BENCH_QUICK=1: a fast smoke)"
	@echo "make soak    the fault suite with 200 incidents per case"
	@echo "make fuzz    every request parser fuzzed FUZZ_SECS (60) seconds each"
	@echo "make nab     the default anomaly monitor on a NAB tree, scored in both modes (NAB_TREE)"
	@echo "make nab-synthetic  the same monitor on synthetic noise and injected anomalies"
	@echo "make docs    regenerate shared/docs/configuration.md (a test checks it is current)"

# The DynamoDB emulator (moto server) in a virtualenv under the project.
$(EMULATOR): tests/emulator/requirements.txt tests/emulator/constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check \
		-r tests/emulator/requirements.txt -c tests/emulator/constraints.txt
	touch $@

emulator: $(EMULATOR)

test: lint test-rust test-bench-tools test-infra test-deploy-smoke

test-rust: $(EMULATOR)
	$(VENV)/bin/python -m unittest discover -s tests/emulator
	$(WITH_DYNAMODB) cargo test --workspace --locked

# The benchmarks' own tools (standard library only).
test-bench-tools:
	$(PYTHON) -m unittest discover -s bench -p 'test_*.py'

# The SAM template: lint, SAM's own validation, a security scan, and the table's shape.
$(SAM_TOOLS): infra/checks/requirements-sam.txt infra/checks/constraints-sam.txt
	$(PYTHON) -m venv $(SAM_VENV)
	$(SAM_VENV)/bin/pip install --quiet --disable-pip-version-check \
		-r infra/checks/requirements-sam.txt -c infra/checks/constraints-sam.txt
	touch $@

$(CHECKOV): infra/checks/requirements-checkov.txt infra/checks/constraints-checkov.txt
	$(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/pip install --quiet --disable-pip-version-check \
		-r infra/checks/requirements-checkov.txt -c infra/checks/constraints-checkov.txt
	touch $@

test-infra: $(SAM_TOOLS) $(CHECKOV)
	$(SAM_VENV)/bin/cfn-lint infra/template.yaml
	SAM_CLI_TELEMETRY=0 $(SAM_VENV)/bin/sam validate --lint --region us-east-1 --template-file infra/template.yaml
	$(CHECKOV_VENV)/bin/checkov --quiet --compact --skip-download --framework cloudformation --file infra/template.yaml
	$(SAM_VENV)/bin/python infra/checks/table_matches.py
	$(SAM_VENV)/bin/python infra/checks/deploy_rules.py --self-test
	$(SAM_VENV)/bin/python infra/checks/log_filters.py --self-test
	$(SAM_VENV)/bin/python infra/checks/env_check.py
	$(SAM_VENV)/bin/python -m unittest discover -s infra/checks -p 'test_*.py'
	$(SAM_VENV)/bin/python infra/checks/deploy_template.py

# Each function's real binary under a Lambda Runtime API host, with the template's
# environment, answering the events the template wires to it; its AWS calls against its
# IAM role (the emulator logs every call with the caller's credentials).
SMOKE_CALLS := target/deploy-smoke/calls.jsonl
test-deploy-smoke: $(EMULATOR) $(SAM_TOOLS)
	@# --tests: the features `cargo test` resolves (dev-dependencies included), so the
	@# bins reuse test-rust's build instead of compiling the dependencies a second time.
	cargo build --quiet --locked --workspace --bins --tests
	$(PYTHON) -m unittest discover -s tests/deploy -p 'test_*.py'
	mkdir -p $(dir $(SMOKE_CALLS)) && rm -f $(SMOKE_CALLS)
	MODELWATCH_EMULATOR_CALLS=$(CURDIR)/$(SMOKE_CALLS) $(WITH_DYNAMODB) $(SAM_VENV)/bin/python tests/deploy/smoke.py

# What `make deploy` would ship, checked without AWS: its `sam build` (the pinned
# cargo-lambda, arm64), the template `sam deploy` resolves from the samconfig, the zips
# `sam package` uploads (to the emulator's S3) and the stack in the emulator's
# CloudFormation. Slow (release builds); not part of `make test`.
deploy-check: $(SAM_TOOLS) $(LAMBDA_TOOLS) $(EMULATOR)
	@# The template deploys arm64 (Architectures in Globals).
	@rustup target list --installed 2>/dev/null | grep -qx aarch64-unknown-linux-gnu || { \
		echo "make deploy-check: the template's functions are arm64 and the aarch64 standard library is missing:" >&2; \
		echo "                   run 'rustup target add aarch64-unknown-linux-gnu'" >&2; exit 1; }
	PATH="$(CURDIR)/$(LAMBDA_VENV)/bin:$$PATH" $(SAM_BUILD)
	$(SAM_VENV)/bin/python infra/checks/deploy_template.py --here
	$(SAM_VENV)/bin/python infra/checks/env_check.py .aws-sam/build/template.yaml
	$(WITH_DYNAMODB) $(SAM_VENV)/bin/python infra/checks/package_and_stack.py

local: $(EMULATOR)
	cargo build --quiet -p modelwatch --bin modelwatch -p modelwatch-tests --bin modelwatch-local
	$(WITH_DYNAMODB) target/debug/modelwatch-local

# The main job: two simulated days of three models replayed through the real handlers
# on the local emulator; charts and the weekly report land in target/demo/.
# Optimised (the bench profile: no LTO, so it builds in minutes), so the replay goes at the
# emulator's pace: a debug build spent more time in its own code than waiting on DynamoDB.
demo: $(EMULATOR)
	cargo build --quiet --locked --profile bench -p modelwatch-tests --bin modelwatch-demo
	$(WITH_DYNAMODB) target/release/modelwatch-demo

# The fault suite with 200 incidents per case (make test runs it with 10), and the load run.
# Optimised, as the Lambdas ship: a debug intake spends more time in the AWS SDK's own code
# than waiting on the emulator (about 100 webhooks a second instead of 280).
soak: $(EMULATOR)
	MODELWATCH_FAULT_INCIDENTS=200 $(WITH_DYNAMODB) cargo test --locked --profile bench -p modelwatch-tests --test faults -- --include-ignored --nocapture

# Every parser of request input and the configuration, fuzzed for FUZZ_SECS seconds of its
# own CPU time each, FUZZ_JOBS targets at a time, in the fuzz profile (optimised, overflow
# checks on).
FUZZ_SECS ?= 60
FUZZ_JOBS ?= 1
fuzz:
	MODELWATCH_FUZZ_SECS=$(FUZZ_SECS) cargo test --locked --profile fuzz -p modelwatch-intake --lib fuzz -- --nocapture --test-threads $(FUZZ_JOBS)

# The benchmarks' Python (awslambdaric baseline, numpy/pandas), pinned, in a virtualenv.
$(BENCH_TOOLS): bench/requirements.txt bench/constraints.txt
	$(PYTHON) -m venv $(BENCH_VENV)
	$(BENCH_VENV)/bin/pip install --quiet --disable-pip-version-check \
		-r bench/requirements.txt -c bench/constraints.txt
	touch $@

$(OHA):
	cargo install --quiet --locked --version $(OHA_VERSION) --root .tools oha

# Every benchmark under bench/, written to docs/benchmarks.md (bench/run.py): cold starts
# against the Python handler, page latency and throughput on the local stack, the
# evaluator against numpy/pandas, cost, the demo's replay. BENCH_QUICK=1 for a fast smoke;
# BENCH_ONLY=rust (any of rolling, rust, cold, local, demo) reruns those steps and keeps
# the last run's others.
# Not part of test.
bench: $(EMULATOR) $(SAM_TOOLS) $(BENCH_TOOLS) $(OHA)
	@# The Lambda packages' profile and features (as make build), and the cold starts'
	@# floor (a function that does nothing) in the same profile.
	cargo build --release --locked -p modelwatch-intake -p modelwatch-evaluator -p modelwatch-escalator -p modelwatch-reporter -p modelwatch-bench-floor
	@# Optimised (target/release, no LTO): the local stack for the page-latency step, the
	@# demo, and the fakes the cold starts call (a debug fake's check of each request
	@# against the vendor's schema took 0.5-2 ms a call).
	cargo build --quiet --locked --profile bench -p modelwatch-tests --bin modelwatch-local --bin modelwatch-demo --bin modelwatch-fakes
	$(BENCH_VENV)/bin/python bench/run.py

# The NAB scorer's Python (numpy, pandas), pinned, in a virtualenv under the project.
$(NAB_TOOLS): tests/nab/requirements.txt tests/nab/constraints.txt
	$(PYTHON) -m venv $(NAB_VENV)
	$(NAB_VENV)/bin/pip install --quiet --disable-pip-version-check \
		-r tests/nab/requirements.txt -c tests/nab/constraints.txt
	touch $@

# The default anomaly monitor backtested on every series of $(NAB_TREE) and scored with NAB's
# rules: the anomaly score with the best threshold, then alert openings as detections.
nab: $(NAB_TOOLS)
	cargo build --release --locked -p modelwatch --bin modelwatch
	@for mode in scores alerts; do \
		echo "== NAB, $$mode mode"; \
		$(NAB_VENV)/bin/python $(NAB_SCORER) --as $$mode --nab $(NAB_TREE) \
			--config tests/fixtures/nab/modelwatch.yaml --monitor default \
			--bin target/release/modelwatch --out target/nab/$$mode; \
	done

nab-synthetic: $(NAB_TOOLS)
	cargo build --release --locked -p modelwatch --bin modelwatch
	$(NAB_VENV)/bin/python tests/nab/synthetic.py --bin target/release/modelwatch

# Lambda packages with cargo-lambda: arm64 for deployment when the aarch64 standard
# library can be had (rustup downloads it on a connected machine), else the host target.
$(LAMBDA_TOOLS): infra/checks/requirements-lambda.txt infra/checks/constraints-lambda.txt
	$(PYTHON) -m venv $(LAMBDA_VENV)
	$(LAMBDA_VENV)/bin/pip install --quiet --disable-pip-version-check \
		-r infra/checks/requirements-lambda.txt -c infra/checks/constraints-lambda.txt
	touch $@

build: $(LAMBDA_TOOLS)
	@if rustup target list --installed 2>/dev/null | grep -q aarch64-unknown-linux-gnu \
		|| rustup target add aarch64-unknown-linux-gnu >/dev/null 2>&1; then \
		arch=--arm64; else \
		echo "make build: the aarch64 standard library is not available here; building for the host (x86_64)."; \
		echo "            Deploy from a machine where 'rustup target add aarch64-unknown-linux-gnu' works."; \
		arch=--x86-64; fi; \
	PATH="$(CURDIR)/$(LAMBDA_VENV)/bin:$$PATH" cargo lambda build --release $$arch --output-format zip \
		$(addprefix -p modelwatch-,$(FUNCTIONS))
	@for f in $(FUNCTIONS); do \
		printf '%-10s %8s bytes zipped  (%s)\n' $$f "$$(stat -c %s target/lambda/$$f/bootstrap.zip)" target/lambda/$$f/bootstrap.zip; \
	done

# Your deployment's configuration and sam deploy settings, copied from the examples once;
# never overwritten.
deployment:
	@mkdir -p $(DEPLOYMENT)
	@for pair in modelwatch.yaml:infra/modelwatch.example.yaml samconfig.toml:infra/samconfig.example.toml; do \
		file=$(DEPLOYMENT)/$${pair%%:*}; example=$${pair#*:}; \
		if [ -e "$$file" ]; then echo "kept    $$file"; else cp "$$example" "$$file"; echo "created $$file (from $$example): edit it"; fi; \
	done

# Validates your configuration, builds every function for arm64 with the pinned
# cargo-lambda (your configuration compiled in), and deploys the built template.
deploy: $(SAM_TOOLS) $(LAMBDA_TOOLS)
	@for f in modelwatch.yaml samconfig.toml; do \
		[ -f $(DEPLOYMENT)/$$f ] || { echo "make deploy: $(DEPLOYMENT)/$$f is missing: run 'make deployment' and edit it" >&2; exit 2; }; \
	done
	@rustup target list --installed 2>/dev/null | grep -q aarch64-unknown-linux-gnu \
		|| rustup target add aarch64-unknown-linux-gnu \
		|| { echo "make deploy: the functions run on arm64: 'rustup target add aarch64-unknown-linux-gnu' must work" >&2; exit 2; }
	cargo run --quiet --locked -p modelwatch --bin modelwatch -- validate $(DEPLOYMENT)/modelwatch.yaml
	PATH="$(CURDIR)/$(LAMBDA_VENV)/bin:$$PATH" MODELWATCH_CONFIG="$(CURDIR)/$(DEPLOYMENT)/modelwatch.yaml" \
		$(SAM_BUILD)
	$(SAM) deploy --config-file $(DEPLOYMENT)/samconfig.toml

fmt:
	cargo fmt --all

# The configuration reference, generated from the schema the validator enforces.
# Built as part of the workspace: `-p modelwatch` alone unifies features differently and
# rebuilds every dependency.
docs:
	cargo build --quiet --locked --workspace --bin modelwatch
	target/debug/modelwatch reference > shared/docs/configuration.md

lint:
	cargo fmt --all -- --check
	cargo clippy --workspace --all-targets --locked -- -D warnings
	# Each Lambda alone, with only the library features it takes (no CLI, no demo data).
	cargo clippy --locked -p modelwatch-intake -p modelwatch-evaluator -p modelwatch-prober -p modelwatch-escalator -- -D warnings
	cargo clippy --locked -p modelwatch-reporter -- -D warnings

clean:
	rm -rf $(VENV) $(SAM_VENV) $(CHECKOV_VENV) $(LAMBDA_VENV) $(NAB_VENV) $(BENCH_VENV) .tools target .modelwatch .aws-sam
