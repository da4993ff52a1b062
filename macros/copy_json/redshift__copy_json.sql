{#-
  Redshift: COPY each key prefix from S3 into a temp table shaped like the landing table, then
  replace the partition, all in one explicit transaction (no TRUNCATE: it commits implicitly).
  Credentials: IAM_ROLE only, never access keys.
  Bad lines (sparkify_load_error_contract): COPY runs with MAXERROR var max_load_errors, so it
  skips a rejected line instead of failing; after each COPY its rejections are read into a temp
  table from SYS_LOAD_ERROR_DETAIL, which provisioned clusters and Serverless workgroups both keep
  (STL_LOAD_ERRORS holds nothing of Serverless or concurrency-scaling queries). A SYS query_id is
  not the number pg_last_copy_id() returns: the COPY is this session's latest in SYS_LOAD_HISTORY.
  On var redshift_deployment 'provisioned' the raw line and value, which SYS does not keep, are
  joined from STL_LOAD_ERRORS (query = pg_last_copy_id()); on 'serverless' they stay null: chosen
  by the setting, never guessed. Every loaded row is tagged with the
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
    rtrim(detail.file_name),
    detail.line_number,
    nullif(rtrim(detail.column_name), ''),
    detail.error_code,
    rtrim(detail.error_message),
{%- if s.redshift_deployment == 'provisioned' %}
    nullif(rtrim(stl.raw_line), ''),
    nullif(rtrim(stl.raw_field_value), '')
{%- else %}
    null,
    null
{%- endif %}
from sys_load_error_detail as detail
{%- if s.redshift_deployment == 'provisioned' %}
left join stl_load_errors as stl
    on
        stl.query = pg_last_copy_id()
        and rtrim(stl.filename) = rtrim(detail.file_name)
        and stl.line_number = detail.line_number
{%- endif %}
where
    detail.session_id = pg_backend_pid()
    and detail.query_id = (
        select max(history.query_id) from sys_load_history as history
        where history.session_id = pg_backend_pid()
    );
{%- endfor %}
{{ sparkify_partition_rejects_sql(plan, temp, errors) }}
{{ sparkify_replace_partition_sql(plan, temp) }};
{{ sparkify_replace_load_errors_sql(plan, errors) }};
commit;
{%- endmacro %}
