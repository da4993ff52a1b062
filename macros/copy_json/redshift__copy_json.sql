{#-
  Redshift: COPY each key prefix from S3 into a temp table shaped like the landing table, then
  replace the partition, all in one explicit transaction (no TRUNCATE: it commits implicitly).
  Credentials: IAM_ROLE only, never access keys.
  Bad lines (sparkify_load_error_contract): COPY runs with MAXERROR var max_load_errors, so it
  skips a rejected line instead of failing; after each COPY its rejections are read from
  STL_LOAD_ERRORS (query = pg_last_copy_id()) into a temp table, and every row is tagged with the
  file key it came from (_source), which the engine-neutral partition check needs. More than
  MAXERROR rejections in one COPY fail the load with Redshift's "Load into table … failed", and
  the transaction replaces nothing. (MAXERROR counts per COPY, i.e. per day file in window mode;
  DuckDB counts per load.)
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
  {%- set temp, errors = plan.temp_name, plan.errors_temp_name -%}
  {%- set widths = sparkify_load_error_contract().widths -%}
begin;
create temp table {{ temp }} (like {{ plan.landing.relation }});
alter table {{ temp }} add column _source varchar(1024);
create temp table {{ errors }} (
    table_name varchar(128),
    filename varchar(1024),
    line_number bigint,
    colname varchar(127),
    err_code integer,
    err_reason varchar({{ widths.err_reason }}),
    raw_line varchar({{ widths.raw_line }}),
    raw_field_value varchar({{ widths.raw_field_value }})
);
{%- for key in plan['keys'] %}
copy {{ temp }} ({{ plan.json_columns | map(attribute='name') | join(', ') }})
from '{{ plan.uris[loop.index0] }}'
iam_role '{{ s.iam_role }}'
region '{{ s.s3_region }}'
format as json '{{ option.uri if option.mode == 'jsonpaths' else option.mode }}'
maxerror {{ plan.max_load_errors }}
truncatecolumns
blanksasnull
emptyasnull
compupdate off
statupdate off;
update {{ temp }} set _source = '{{ plan.uris[loop.index0] }}' where _source is null;
insert into {{ errors }} (table_name, filename, line_number, colname, err_code, err_reason, raw_line, raw_field_value)
select
    '{{ plan.table_name }}',
    rtrim(filename),
    line_number,
    nullif(rtrim(colname), ''),
    err_code,
    rtrim(err_reason),
    nullif(rtrim(raw_line), ''),
    nullif(rtrim(raw_field_value), '')
from stl_load_errors
where query = pg_last_copy_id();
{%- endfor %}
{{ sparkify_partition_rejects_sql(plan, temp, errors) }}
{{ sparkify_replace_partition_sql(plan, temp) }};
{{ sparkify_replace_load_errors_sql(plan, errors) }};
commit;
{%- endmacro %}
