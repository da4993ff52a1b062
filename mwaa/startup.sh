#!/bin/sh
# MWAA startup script: runs on every scheduler, worker and webserver container before Airflow starts.
# 1. Builds dbt in its own virtualenv (dbt's pins conflict with Airflow's constraints).
# 2. Exports the settings that are the same in every environment. Environment-specific values
#    (data root, IAM role, connection id, schema) are MWAA configuration options sparkify.* (README).
set -eu

DBT_VENV="${AIRFLOW_HOME:-/usr/local/airflow}/dbt_venv"
DBT_PINS="dbt-core==1.11.16 dbt-redshift==1.11.2"

if [ "${MWAA_AIRFLOW_COMPONENT:-worker}" != "webserver" ] && ! "$DBT_VENV/bin/dbt" --version >/dev/null 2>&1; then
  python3 -m venv "$DBT_VENV"
  # shellcheck disable=SC2086 # word splitting of the pins is intended
  "$DBT_VENV/bin/pip" install --quiet --no-cache-dir $DBT_PINS
fi

export SPARKIFY_TARGET=redshift
export SPARKIFY_DBT_EXECUTABLE="$DBT_VENV/bin/dbt"
export SPARKIFY_DBT_PROJECT_DIR="${AIRFLOW_HOME:-/usr/local/airflow}/dags/dbt/sparkify"
export SPARKIFY_COSMOS_LOAD_MODE=dbt_manifest
export DO_NOT_TRACK=1
export DBT_SEND_ANONYMOUS_USAGE_STATS=false
export AIRFLOW__COSMOS__ENABLE_TELEMETRY=False
