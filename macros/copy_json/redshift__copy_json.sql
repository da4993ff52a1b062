{#-
  Redshift: COPY each key prefix from S3 into a temp table shaped like the landing table, then
  replace the partition, all in one explicit transaction (no TRUNCATE: it commits implicitly).
  Credentials: IAM_ROLE only, never access keys.
-#}
{% macro redshift__copy_json(plan) -%}
  {%- set s = plan.settings -%}
  {%- if not s.is_s3 -%}
    {{ sparkify_invalid_var('data_root', s.data_root, "an s3:// URI: the redshift target loads with COPY from S3") }}
  {%- endif -%}
  {%- if not s.iam_role -%}
    {{ sparkify_invalid_var('iam_role', '', "the ARN of an IAM role that can read " ~ s.data_root ~ " (var iam_role or env SPARKIFY_IAM_ROLE): COPY on redshift needs one") }}
  {%- endif -%}
  {%- set option = plan.json_option -%}
  {%- if option.mode == 'jsonpaths' and not option.uri.startswith('s3://') -%}
    {{ sparkify_invalid_var(plan.landing.meta.json_option_var, option.uri, "an s3:// URI: Redshift reads a JSONPaths file from S3 only") }}
  {%- endif -%}
  {%- set temp = plan.temp_name -%}
begin;
create temp table {{ temp }} (like {{ plan.landing.relation }});
{%- for key in plan['keys'] %}
copy {{ temp }} ({{ plan.json_columns | map(attribute='name') | join(', ') }})
from '{{ s.data_root }}/{{ key }}'
iam_role '{{ s.iam_role }}'
region '{{ s.s3_region }}'
format as json '{{ option.uri if option.mode == 'jsonpaths' else option.mode }}'
truncatecolumns
blanksasnull
emptyasnull
compupdate off
statupdate off;
{%- endfor %}
{{ sparkify_replace_partition_sql(plan, temp) }};
commit;
{%- endmacro %}
