# shellcheck shell=bash
# MWAA startup script (Airflow 3.3.1 image). MWAA *sources* it with bash on every container (scheduler,
# worker, webserver), before it installs requirements.txt and starts Airflow, and stops it after 5 minutes.
# Hence: no `set -e` (one failing command would end MWAA's wrapper before it saves the environment, and the
# container would only be marked unhealthy), no `exit`, and no network: dbt comes from the wheels plugins.zip
# unpacks into the plugins folder (scripts/mwaa_bundle.py).
#  1. Builds dbt in its own virtualenv from mwaa/dbt-venv.lock (dbt's pins conflict with Airflow's), unless
#     one built from the same lock is there. On failure it says why on stderr (the container's startup log)
#     and exports SPARKIFY_STARTUP_ERROR: where the DAG is parsed (scheduler, dag processor) the DAG's import
#     error then carries it, visible in the Airflow UI.
#  2. Exports the settings that are the same in every environment. Environment-specific values (data root,
#     IAM role, connection id, schema) are MWAA configuration options sparkify.* (docs/mwaa.md).

sparkify_build_dbt_venv() {
  local venv="$1" wheels="$2" started=$SECONDS
  # Kept only if it was built from this very lock (a copy is stored in it) and imports.
  if cmp -s "$wheels/dbt-venv.lock" "$venv/dbt-venv.lock" \
    && "$venv/bin/python" -c "import dbt.version, dbt.adapters.redshift" >/dev/null 2>&1; then
    echo "sparkify startup: dbt virtualenv $venv is ready"
    return 0
  fi
  if [ ! -f "$wheels/dbt-venv.lock" ]; then
    SPARKIFY_STARTUP_ERROR="no dbt-venv.lock in $wheels: plugins.zip is not the one make mwaa-bundle builds"
    return 1
  fi
  rm -rf "$venv"
  if ! python3 -m venv "$venv"; then
    SPARKIFY_STARTUP_ERROR="python3 -m venv $venv failed (see the lines above)"
    return 1
  fi
  # Only the zip's wheels, checked against the lock's hashes; no pip configuration of the image's.
  if ! PIP_CONFIG_FILE=/dev/null "$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
    --no-cache-dir --no-index --find-links "$wheels" -r "$wheels/dbt-venv.lock"; then
    rm -rf "$venv"
    SPARKIFY_STARTUP_ERROR="offline install of dbt from $wheels failed (see the pip error above)"
    return 1
  fi
  cp "$wheels/dbt-venv.lock" "$venv/dbt-venv.lock"
  echo "sparkify startup: dbt virtualenv $venv built offline in $((SECONDS - started)) s"
}

SPARKIFY_AIRFLOW_HOME="${AIRFLOW_HOME:-/usr/local/airflow}"
unset SPARKIFY_STARTUP_ERROR
if [ "${MWAA_AIRFLOW_COMPONENT:-worker}" != "webserver" ]; then
  if ! sparkify_build_dbt_venv "$SPARKIFY_AIRFLOW_HOME/dbt_venv" "$SPARKIFY_AIRFLOW_HOME/plugins"; then
    echo "sparkify startup: FAILED: $SPARKIFY_STARTUP_ERROR" >&2
    export SPARKIFY_STARTUP_ERROR
  fi
fi
unset -f sparkify_build_dbt_venv

export SPARKIFY_TARGET=redshift
export SPARKIFY_DBT_EXECUTABLE="$SPARKIFY_AIRFLOW_HOME/dbt_venv/bin/dbt"
export SPARKIFY_DBT_PROJECT_DIR="$SPARKIFY_AIRFLOW_HOME/dags/dbt/sparkify"
export SPARKIFY_COSMOS_LOAD_MODE=dbt_manifest
export DO_NOT_TRACK=1
export DBT_SEND_ANONYMOUS_USAGE_STATS=false
export AIRFLOW__COSMOS__ENABLE_TELEMETRY=False
unset SPARKIFY_AIRFLOW_HOME
