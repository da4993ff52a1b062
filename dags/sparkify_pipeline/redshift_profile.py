"""The dbt profile of the Redshift target: which profiles.yml target, and where its values come from.

Provisioned + password keeps Cosmos' RedshiftUserPasswordProfileMapping (Cosmos renders a profile whose
password is only an env_var() reference). Cosmos has no mapping for IAM or for Serverless, so those use
the project's own profiles.yml (targets redshift_iam, redshift_serverless, redshift_serverless_iam) and
Airflow fills its REDSHIFT_* variables when the task runs, from the same Airflow connection:
    host, port, login, schema (the database), password (password authentication only), and extras
    cluster_identifier (provisioned IAM), workgroup_name (Serverless IAM), region, sslmode.
The values are Jinja templates of the dbt tasks' env (`{{ conn.<id>.host }}`): Airflow renders them in
the task process (the password is masked in rendered fields and logs), dbt reads them from its
environment, and nothing holding them is written to a file.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from cosmos import ProfileConfig
from cosmos.profiles import RedshiftUserPasswordProfileMapping

if TYPE_CHECKING:
    from sparkify_pipeline.settings import Settings

TARGETS = {
    ("provisioned", "password"): "redshift",
    ("provisioned", "iam"): "redshift_iam",
    ("serverless", "password"): "redshift_serverless",
    ("serverless", "iam"): "redshift_serverless_iam",
}


def connection_env(conn_id: str, auth: str, schema: str) -> dict[str, str]:
    """REDSHIFT_* for profiles.yml, as templates Airflow renders from connection conn_id (an identifier,
    checked by settings.py) when the task runs."""
    conn = f"conn.{conn_id}"
    env = {
        "REDSHIFT_HOST": f"{{{{ {conn}.host }}}}",
        "REDSHIFT_PORT": f"{{{{ {conn}.port or 5439 }}}}",
        "REDSHIFT_DATABASE": f"{{{{ {conn}.schema or 'dev' }}}}",
        "REDSHIFT_SCHEMA": schema,
        "REDSHIFT_REGION": f"{{{{ {conn}.extra_dejson.get('region', 'us-west-2') }}}}",
        "REDSHIFT_SSLMODE": f"{{{{ {conn}.extra_dejson.get('sslmode', 'require') }}}}",
    }
    if auth == "password":
        env |= {"REDSHIFT_USER": f"{{{{ {conn}.login }}}}", "REDSHIFT_PASSWORD": f"{{{{ {conn}.password }}}}"}
    else:
        env |= {
            "REDSHIFT_USER": f"{{{{ {conn}.login or '' }}}}",
            "REDSHIFT_CLUSTER_ID": f"{{{{ {conn}.extra_dejson.get('cluster_identifier', '') }}}}",
            "REDSHIFT_WORKGROUP": f"{{{{ {conn}.extra_dejson.get('workgroup_name', '') }}}}",
        }
    return env


def redshift_profile(settings: Settings, profiles_yml: Path) -> tuple[ProfileConfig, dict[str, str]]:
    """The ProfileConfig of the settings' deployment and authentication, and the extra env of the dbt tasks."""
    target = TARGETS[(settings.redshift_deployment, settings.redshift_auth)]
    if target == "redshift":
        mapping = RedshiftUserPasswordProfileMapping(
            conn_id=settings.redshift_conn_id, profile_args={"schema": settings.redshift_schema}
        )
        return ProfileConfig(profile_name="sparkify", target_name=target, profile_mapping=mapping), {}
    profile = ProfileConfig(profile_name="sparkify", target_name=target, profiles_yml_filepath=profiles_yml)
    return profile, connection_env(settings.redshift_conn_id, settings.redshift_auth, settings.redshift_schema)
