{#-
  DuckDB: the same load as Redshift's COPY. Reads the files under data_root (a local folder, or
  s3:// through dbt-duckdb's fsspec filesystems) with read_json_objects, maps keys exactly like
  COPY (column names for 'auto', case-insensitively for 'auto ignorecase', positionally for a
  JSONPaths file), applies BLANKSASNULL/EMPTYASNULL to character columns, then replaces the
  partition in one transaction. A key prefix that matches no file fails with Redshift's message.
-#}
{% macro duckdb__copy_json(plan) -%}
  {%- set s = plan.settings -%}
  {%- set option = plan.json_option -%}
  {%- set files = [] -%}
  {%- for key in plan['keys'] -%}
    {%- set pattern = s.data_root ~ '/' ~ key ~ ('**/*.json' if key.endswith('/') else '') -%}
    {%- set found = run_query("select count(*) as n from glob('" ~ pattern ~ "')").columns[0].values()[0] -%}
    {%- if found == 0 -%}
      {{ exceptions.raise_compiler_error("copy_json " ~ plan.table_name ~ ": The specified S3 prefix '" ~ key ~ "' does not exist (data_root " ~ s.data_root ~ ")") }}
    {%- endif -%}
    {%- do files.append(pattern) -%}
  {%- endfor -%}
  {%- set columns = plan.json_columns -%}
  {%- set keys = [] -%}
  {%- if option.mode == 'jsonpaths' -%}
    {%- set paths = run_query("select path from (select unnest(jsonpaths) as path, generate_subscripts(jsonpaths, 1) as i from read_json('" ~ option.uri ~ "', format = 'auto')) order by i").columns[0].values() -%}
    {%- if paths | length != columns | length -%}
      {{ exceptions.raise_compiler_error("copy_json " ~ plan.table_name ~ ": Number of jsonpaths and the number of columns should match. JSONPath size: " ~ paths | length ~ ", Number of columns in table or column list: " ~ columns | length ~ " (" ~ option.uri ~ ")") }}
    {%- endif -%}
    {%- for path in paths -%}
      {%- set m = modules.re.match("^\$(?:\[['\"]([A-Za-z0-9_]+)['\"]\]|\.([A-Za-z0-9_]+))$", path) -%}
      {%- if not m -%}
        {{ exceptions.raise_compiler_error("copy_json " ~ plan.table_name ~ ": unsupported JSONPath expression " ~ (path | tojson) ~ " at position " ~ loop.index ~ " of " ~ option.uri ~ " (expected $['key'] or $.key)") }}
      {%- endif -%}
      {%- do keys.append("'$.\"" ~ (m.group(1) or m.group(2)) ~ "\"'") -%}
    {%- endfor -%}
  {%- else -%}
    {%- for column in columns -%}
      {%- if option.mode == 'auto' -%}
        {%- do keys.append("'$.\"" ~ column.name ~ "\"'") -%}
      {%- else -%}
        {%- do keys.append("'$.\"' || list_filter(json_keys(record), k -> lower(k) = '" ~ column.name | lower ~ "')[1] || '\"'") -%}
      {%- endif -%}
    {%- endfor -%}
  {%- endif -%}
  {%- set temp = plan.temp_name -%}
begin transaction;
create or replace temp table {{ temp }} as
with raw_records as (
    select json as record
    from read_json_objects([{% for f in files %}'{{ f }}'{{ ', ' if not loop.last }}{% endfor %}], format = '{{ plan.json_format }}')
),

extracted as (
    select
    {%- for column in columns %}
        json_extract_string(record, {{ keys[loop.index0] }}) as {{ column.name }}{{ ',' if not loop.last }}
    {%- endfor %}
    from raw_records
)

select
{%- for column in columns %}
    {%- if modules.re.match('^(var)?char|^text|^string', column.data_type | lower) %}
    cast({{ sparkify_blank_as_null(column.name) }} as {{ column.data_type }}) as {{ column.name }}{{ ',' if not loop.last }}
    {%- else %}
    cast({{ column.name }} as {{ column.data_type }}) as {{ column.name }}{{ ',' if not loop.last }}
    {%- endif %}
{%- endfor %}
from extracted;
{{ sparkify_replace_partition_sql(plan, temp) }};
commit;
{%- endmacro %}
