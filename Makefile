# Quick start:  make build   (dbt build on the embedded DuckDB default)
#               make test    (the whole test suite: lint + pytest driving real dbt)
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
export DO_NOT_TRACK := 1
export DBT_SEND_ANONYMOUS_USAGE_STATS := false
export DBT_PROFILES_DIR := $(CURDIR)
export PATH := $(CURDIR)/$(BIN):$(PATH)
# Local Airflow (make dag-test): state under .airflow/, our dags/ only, no telemetry.
export AIRFLOW_HOME := $(CURDIR)/.airflow
export AIRFLOW__CORE__DAGS_FOLDER := $(CURDIR)/dags
export AIRFLOW__CORE__LOAD_EXAMPLES := False
export AIRFLOW__COSMOS__ENABLE_TELEMETRY := False
# Cosmos' dbt partial-parse cache of this checkout (its default, /tmp/cosmos, is shared by all of them).
export AIRFLOW__COSMOS__CACHE_DIR := $(AIRFLOW_HOME)/cosmos_cache

.PHONY: build test lint docs docs-serve report show-copy dag-test airflow-up mwaa-bundle deploy deploy-dry-run benchmark benchmark-stack benchmark-dag-import redshift-harness clean venv

venv: $(BIN)/.installed

# (Re)create the virtualenv when missing or when the requirements change.
$(BIN)/.installed: requirements.txt requirements-airflow.txt requirements-dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $@

build: venv
	$(BIN)/dbt build

# The analysts' docs site: target/index.html (+ JSON) and the single file target/static_index.html; then
# the report beside it (target/report.html), which the site's overview links to.
docs: venv
	test -f $${SPARKIFY_DUCKDB_PATH:-sparkify.duckdb} || $(BIN)/dbt build
	$(BIN)/dbt docs generate --static
	$(MAKE) --no-print-directory report

# The analysts' report: target/report.html, one self-contained file (the governed metrics as charts;
# docs/analysts.md). The time spines are (re)built first: a warehouse built before them lacks them.
report: venv
	test -f $${SPARKIFY_DUCKDB_PATH:-sparkify.duckdb} || $(BIN)/dbt build
	$(BIN)/dbt build --quiet --select tag:semantic
	$(BIN)/python -m sparkify_report

# Browse it at http://127.0.0.1:8080
docs-serve: docs
	$(BIN)/dbt docs serve --host 127.0.0.1 --port 8080 --no-browser

# sqlfluff's dbt templater compiles the models against a throwaway DuckDB file.
lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	mkdir -p target && SPARKIFY_DUCKDB_PATH=target/lint.duckdb $(BIN)/sqlfluff lint models analyses

# pytest-xdist worker processes, each with its own DuckDB files, harness cluster, moto server and S3
# prefixes; how tests are shared out: tests/pytest/xdist_plan.py. Three on two cores: the Airflow stack
# tests spend half their time waiting on the scheduler, and a third worker fills that time (fbf64c5+2:
# make test 22 min 57 s with 2 workers, 20 min 3 s with 3, same tests).
TEST_WORKERS ?= 3
test: venv lint
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --durations=25

# Run the hourly DAG locally on DuckDB for one hour. HOUR is the run's logical time: the run
# loads the hour that ends there (the default loads 2018-11-15 14:00-15:00 UTC). `dags test` runs triggers
# inline, so its node tasks reschedule every 5 s instead of deferring (docs/airflow.md "DAG settings", watcher_consumers).
HOUR ?= 2018-11-15T15:00:00+00:00
dag-test: venv
	$(BIN)/dbt parse --quiet
	mkdir -p $(AIRFLOW_HOME)
	$(BIN)/airflow db migrate > $(AIRFLOW_HOME)/migrate.log 2>&1 || (cat $(AIRFLOW_HOME)/migrate.log; exit 1)
	SPARKIFY_WATCHER_CONSUMERS=dags_test $(BIN)/airflow dags test sparkify_hourly $(HOUR)

# The DAG as MWAA runs it (docs/airflow.md "Run the DAG under a real scheduler"): airflow scheduler, dag-processor, triggerer
# and api-server, LocalExecutor, the metadata database on a throwaway PostgreSQL, all on 127.0.0.1; the UI's URL
# is printed. HOURS="FROM [TO]" (logical dates, hour starts) backfills those hours once it is up. Ctrl-C stops
# and removes everything.
airflow-up: venv
	$(BIN)/dbt parse --quiet
	PYTHONPATH=tests $(BIN)/python -m airflow_stack up $(if $(HOURS),--backfill $(HOURS))

# The MWAA bundle, installable without internet access: dist/mwaa/ (scripts/mwaa_bundle.py, docs/mwaa.md).
mwaa-bundle: venv
	$(BIN)/python scripts/mwaa_bundle.py --out dist/mwaa

# Upload the bundle and make the environment run it: make deploy BUCKET=my-mwaa-bucket ENV=my-environment
# (both are required before anything is built; deploy-dry-run reads the environment and changes nothing).
deploy deploy-dry-run: venv
	@test -n "$(BUCKET)" -a -n "$(ENV)" || (echo "usage: make $@ BUCKET=<mwaa-bucket> ENV=<mwaa-environment>" >&2; exit 2)
	$(BIN)/python scripts/mwaa_bundle.py --out dist/mwaa
	$(BIN)/python scripts/deploy_mwaa.py --bundle dist/mwaa --bucket '$(BUCKET)' --environment '$(ENV)' \
		$(if $(filter deploy-dry-run,$@),--dry-run)

benchmark-dag-import: venv
	$(BIN)/python benchmarks/benchmark_dag_import.py

# Long reliability check: every hour of November 2018 run twice (a retry), then compared table by
# table with a full load; exit 1 on any difference. Hours on 2 cores. ARGS e.g. --shuffle-days 6
.PHONY: reliability-hours
reliability-hours: venv
	$(BIN)/python scripts/reliability_hours.py $(ARGS)

# Benchmarks on DuckDB, one table of figures (docs/benchmarks.md): full build vs the read_json floor,
# the hourly DAG run (watcher vs local, 30 days vs 1 day of history), DAG import. About 14 minutes at 1M events.
EVENTS ?= 1000000
RUNS ?= 3
benchmark: venv
	$(BIN)/python benchmarks/benchmark.py --events $(EVENTS) --runs $(RUNS) --profile

# One hourly run under a local Airflow stack (tests/airflow_stack) on the Redshift harness in Serverless mode,
# node tasks deferring against rescheduling every 60 s (docs/benchmarks.md): wall time, task launches, CPU seconds
# per component. Starts and stops moto, the harness and the stacks itself; about 8 minutes. STACK_ARGS e.g. --runs 2
benchmark-stack: venv
	PYTHONPATH=tests $(BIN)/python benchmarks/benchmark_stack.py $(STACK_ARGS)

# Print the Redshift SQL of both COPY pre-hooks without connecting anywhere.
# Override with e.g. make show-copy S3_ROOT=s3://my-bucket IAM_ROLE=arn:aws:iam::…:role/…
S3_ROOT ?= s3://udacity-dend
IAM_ROLE ?= arn:aws:iam::123456789012:role/sparkify-redshift-copy
show-copy: venv
	@for table in staging_events staging_songs; do \
	  SPARKIFY_DATA_ROOT=$(S3_ROOT) SPARKIFY_IAM_ROLE=$(IAM_ROLE) $(BIN)/dbt compile --quiet \
	    --no-populate-cache --target redshift --inline "{{ copy_json('$$table') }}" || exit 1; done

# A local Redshift stand-in for debugging Redshift SQL by hand (docs/testing.md "How the Redshift path is tested").
redshift-harness: venv
	PYTHONPATH=tests $(BIN)/python -m redshift_harness up data/sparkify

clean:
	rm -rf target logs sparkify.duckdb .airflow
