# Quick start:  make build   (dbt build on the embedded DuckDB default)
#               make test    (the whole test suite: lint + pytest driving real dbt)
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
export DO_NOT_TRACK := 1
export DBT_SEND_ANONYMOUS_USAGE_STATS := false
export DBT_PROFILES_DIR := $(CURDIR)

.PHONY: build test lint docs clean venv

venv: $(BIN)/.installed

# (Re)create the virtualenv when missing or when the requirements change.
$(BIN)/.installed: requirements.txt requirements-dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $@

build: venv
	$(BIN)/dbt build

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/sqlfluff lint models macros tests analyses

test: venv lint
	$(BIN)/python -m pytest

clean:
	rm -rf target logs sparkify.duckdb
