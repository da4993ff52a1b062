{#-
  DuckDB: the same load as Redshift's COPY, with Redshift's line-level rejections
  (sparkify_load_error_contract). Reads the files under data_root (a local folder, or s3://
  through dbt-duckdb's fsspec filesystems) as bytes, maps keys exactly like COPY (column names for
  'auto', case-insensitively for 'auto ignorecase', positionally for a JSONPaths file), converts
  every value to its column's type, and keeps the lines that do not parse or convert as
  rejections naming file, line, column, code and reason.
  In two steps:
    1. now (run_query): parse and classify into temp tables (sparkify_duckdb_parse_sql); log the
       rejections; more than var max_load_errors of them (Redshift MAXERROR) fails the load here,
       before anything is replaced.
    2. the returned SQL, one transaction: reject rows outside their day partition, replace the
       partition of the landing table and the rejections of the loaded files in load_errors.
  A key prefix that matches no file fails with Redshift's message.
-#}
{% macro duckdb__copy_json(plan) -%}
  {%- set s = plan.settings -%}
  {%- set option = plan.json_option -%}
  {%- set sources = [] -%}
  {%- for key in plan['keys'] -%}
    {%- set pattern = s.data_root ~ '/' ~ key ~ ('**/*.json' if key.endswith('/') else '') -%}
    {%- set found = run_query("select count(*) as n from glob('" ~ pattern ~ "')").columns[0].values()[0] -%}
    {%- if found == 0 -%}
      {{ exceptions.raise_compiler_error("copy_json " ~ plan.table_name ~ ": The specified S3 prefix '" ~ key ~ "' does not exist (data_root " ~ s.data_root ~ ")") }}
    {%- endif -%}
    {%- do sources.append({'uri': plan.uris[loop.index0], 'pattern': pattern}) -%}
  {%- endfor -%}
  {%- set columns = plan.json_columns -%}
  {%- set paths = [] -%}
  {%- set keys = [] -%}
  {%- if option.mode == 'jsonpaths' -%}
    {%- set jsonpaths = run_query("select path from (select unnest(jsonpaths) as path, generate_subscripts(jsonpaths, 1) as i from read_json('" ~ option.uri ~ "', format = 'auto')) order by i").columns[0].values() -%}
    {%- if jsonpaths | length != columns | length -%}
      {{ exceptions.raise_compiler_error("copy_json " ~ plan.table_name ~ ": Number of jsonpaths and the number of columns should match. JSONPath size: " ~ jsonpaths | length ~ ", Number of columns in table or column list: " ~ columns | length ~ " (" ~ option.uri ~ ")") }}
    {%- endif -%}
    {%- for path in jsonpaths -%}
      {%- set m = modules.re.match("^\$(?:\[['\"]([A-Za-z0-9_]+)['\"]\]|\.([A-Za-z0-9_]+))$", path) -%}
      {%- if not m -%}
        {{ exceptions.raise_compiler_error("copy_json " ~ plan.table_name ~ ": unsupported JSONPath expression " ~ (path | tojson) ~ " at position " ~ loop.index ~ " of " ~ option.uri ~ " (expected $['key'] or $.key)") }}
      {%- endif -%}
      {%- do keys.append(m.group(1) or m.group(2)) -%}
      {%- do paths.append("'$.\"" ~ (m.group(1) or m.group(2)) ~ "\"'") -%}
    {%- endfor -%}
  {%- else -%}
    {%- for column in columns -%}
      {%- if option.mode == 'auto' -%}
        {%- do keys.append(column.name) -%}
        {%- do paths.append("'$.\"" ~ column.name ~ "\"'") -%}
      {%- else -%}
        {#- The matched key equals a column name but for case: letters, digits and _ only. -#}
        {%- do paths.append("'$.\"' || list_filter(json_keys(line), lambda k: lower(k) = '" ~ column.name | lower ~ "')[1] || '\"'") -%}
      {%- endif -%}
    {%- endfor -%}
  {%- endif -%}

  {%- set temp, errors = plan.temp_name, plan.errors_temp_name -%}
  {%- set constant_paths = option.mode != 'auto ignorecase' -%}
  {#- The fast pass needs the keys up front, distinct but for case (the reader's column names). -#}
  {%- set fast = constant_paths and keys | map('lower') | unique | list | length == keys | unique(case_sensitive=true) | list | length -%}
  {%- if fast -%}
    {%- set probe, exact_files = temp ~ '__probe', temp ~ '__exact_files' -%}
    {%- do run_query(sparkify_duckdb_probe_sql(sources, probe)) -%}
    {%- set fast_sources = [] -%}
    {%- for source in sources -%}
      {%- do fast_sources.append({'uri': source.uri, 'files': []}) -%}
    {%- endfor -%}
    {%- for row in run_query("select source, filename from " ~ probe ~ " where not flagged order by source, filename").rows -%}
      {%- do fast_sources[row['source']]['files'].append(row['filename']) -%}
    {%- endfor -%}
    {%- do run_query(sparkify_duckdb_scan_sql(plan, fast_sources, keys, temp)) -%}
    {%- do run_query("create or replace temp table " ~ exact_files ~ " as select filename from " ~ probe ~ " where flagged union select _filename from " ~ temp ~ " where _suspect; drop table " ~ probe) -%}
    {%- set exact_temp, only_files = temp ~ '__exact', "select filename from " ~ exact_files -%}
  {%- else -%}
    {%- set exact_temp, only_files = temp, none -%}
  {%- endif -%}
  {%- do run_query(sparkify_duckdb_parse_sql(plan, sources, paths, constant_paths, exact_temp, errors, only_files=only_files)) -%}
  {#- Second pass, only for a file whose first record line is not JSON: a file that is one object
      spread over several lines (pretty-printed) loads as one record instead of its lines'
      rejections. (A file with a good line before its first bad one cannot be one object.) -#}
  {%- set malformed -%}
select filename
from {{ errors }} as e
where err_code = {{ sparkify_load_error_contract().errors.malformed_json.code }}
    and not exists (
        select 1 from {{ exact_temp }} as t where t._filename = e.filename and t._line_number < e.line_number
    )
  {%- endset -%}
  {%- if run_query(malformed ~ " limit 1").rows | length > 0 -%}
    {%- do run_query(sparkify_duckdb_parse_sql(plan, sources, paths, constant_paths, exact_temp ~ '__spread', errors ~ '__spread', whole_files=true, only_files=malformed)) -%}
    {%- set spread_files = "select _filename from " ~ exact_temp ~ "__spread union select filename from " ~ errors ~ "__spread" -%}
    {%- do run_query(
          "delete from " ~ exact_temp ~ " where _filename in (" ~ spread_files ~ ");"
          ~ " delete from " ~ errors ~ " where filename in (" ~ spread_files ~ ");"
          ~ " insert into " ~ exact_temp ~ " select * from " ~ exact_temp ~ "__spread;"
          ~ " insert into " ~ errors ~ " select * from " ~ errors ~ "__spread;"
          ~ " drop table " ~ exact_temp ~ "__spread; drop table " ~ errors ~ "__spread") -%}
  {%- endif -%}
  {%- if fast -%}
    {#- The files the exact path read replace their rows of the fast pass. -#}
    {%- set json_names = columns | map(attribute='name') | join(', ') -%}
    {%- do run_query(
          "delete from " ~ temp ~ " where _filename in (" ~ only_files ~ ");"
          ~ " insert into " ~ temp ~ " (_source, _filename, " ~ json_names ~ ") select _source, _filename, " ~ json_names ~ " from " ~ exact_temp ~ ";"
          ~ " drop table " ~ exact_temp ~ "; drop table " ~ exact_files) -%}
  {%- endif -%}

  {%- set rejected = run_query("select filename, line_number, err_code, err_reason, count(*) over () as total from " ~ errors ~ " order by filename, line_number limit 10") -%}
  {%- if rejected.rows | length > 0 -%}
    {%- set total = rejected.rows[0]['total'] -%}
    {%- for row in rejected.rows -%}
      {%- do log('copy_json ' ~ plan.table_name ~ ': rejected ' ~ row['filename'] ~ ':' ~ row['line_number'] ~ ' ' ~ row['err_code'] ~ ' ' ~ row['err_reason'], info=true) -%}
    {%- endfor -%}
    {%- if total > plan.max_load_errors -%}
      {%- set first = rejected.rows[0] -%}
      {{ exceptions.raise_compiler_error("copy_json " ~ plan.table_name ~ ": " ~ total ~ " lines rejected, more than max_load_errors=" ~ plan.max_load_errors ~ " (Redshift MAXERROR): the load failed and replaced nothing. First rejected line: " ~ first['filename'] ~ ":" ~ first['line_number'] ~ " " ~ first['err_code'] ~ " " ~ first['err_reason']) }}
    {%- endif -%}
    {%- do log('copy_json ' ~ plan.table_name ~ ': ' ~ total ~ ' lines rejected' ~ (' (first 10 shown)' if total > 10 else '') ~ ', kept in load_errors', info=true) -%}
  {%- endif -%}
begin transaction;
{{ sparkify_partition_rejects_sql(plan, temp, errors) }}
{{ sparkify_replace_partition_sql(plan, temp) }};
{{ sparkify_replace_load_errors_sql(plan, errors) }};
commit;
{%- endmacro %}
