{#-
  DuckDB: the fast pass of duckdb__copy_json. DuckDB's own newline-delimited JSON reader streams
  every file of one load once, each key read as text, and converts each value exactly as the
  exact path does (sparkify_duckdb_column_conversion), into the temp table `temp`: _source,
  _filename, the landing columns, and _suspect.

  The reader cannot reject a line: with ignore_errors a line that is not one JSON object, or not
  valid UTF-8, comes back as a row of NULLs, and it reports no line numbers. So a row is marked
  _suspect when the exact path might see it differently:
    - every value is NULL (a line that is not an object, or an object without any of the keys);
    - a value does not convert to its column's type (the exact path rejects the line);
    - a text column holds a number with an exponent: the reader prints it as DuckDB prints a
      double (1e+300), json_extract_string as yyjson does (1e300). (The regular expression runs
      only on values starting with - . / or a digit: most text does not, and it is the costliest
      check of the pass.)
  A file holding one suspect row is loaded by the exact path instead (sparkify_duckdb_parse_sql).
  A file the byte probe flags (sparkify_duckdb_probe_sql) is not read here at all: what the reader
  drops without a row (a byte order mark, lines of \f or \v) only the probe can see, and a line
  over the reader's maximum_object_size would stop the whole scan.
    sources:  [{'uri': data_root/key, 'files': the files of that key the probe did not flag}]
    keys:     per JSON column, its top-level key (case-sensitive, distinct)
-#}
{% macro sparkify_duckdb_scan_sql(plan, sources, keys, temp) -%}
  {%- set columns = plan.json_columns -%}
  {%- set conversions = [] -%}
  {%- for column in columns -%}
    {%- do conversions.append(sparkify_duckdb_column_conversion(column, '_raw_' ~ column.name)) -%}
  {%- endfor -%}
  {%- set reader_columns = [] -%}
  {%- for key in keys | unique(case_sensitive=true) -%}
    {%- do reader_columns.append("'" ~ key ~ "': 'varchar'") -%}
  {%- endfor -%}
create or replace temp table {{ temp }} as
with

raw_values as (
    -- typed and empty: a load whose every file is flagged reads nothing here
    select
        null::varchar as _source,
        null::varchar as _filename,
    {%- for column in columns %}
        null::varchar as _raw_{{ column.name }}{{ ',' if not loop.last }}
    {%- endfor %}
    where false
{%- for source in sources if source.files %}
    union all
    select
        '{{ source.uri }}' as _source,
        filename as _filename,
    {%- for column in columns %}
        "{{ keys[loop.index0] }}" as _raw_{{ column.name }}{{ ',' if not loop.last }}
    {%- endfor %}
    from read_ndjson(
        [{% for file in source.files %}'{{ file | replace("'", "''") }}'{{ ', ' if not loop.last }}{% endfor %}],
        columns = { {{- reader_columns | join(', ') -}} },
        records = 'true',
        ignore_errors = true,
        filename = true
    )
{%- endfor %}
),

converted as (
    select
        _source,
        _filename,
    {%- for column in columns %}
        {{ conversions[loop.index0].value | indent(8) }} as {{ column.name }},
    {%- endfor %}
        coalesce({% for column in columns %}_raw_{{ column.name }}{{ ', ' if not loop.last }}{% endfor %}) is null
    {%- for column in columns %}
        {%- if conversions[loop.index0].error %}
        or ({{ conversions[loop.index0].error | indent(12) }}) is not null
        {%- else %}
        or case
            when ascii(_raw_{{ column.name }}) between 45 and 57
                then regexp_matches(_raw_{{ column.name }}, '^-?[0-9][0-9.]*[eE][-+]?[0-9]+$')
            else false
        end
        {%- endif %}
    {%- endfor %}
        as _suspect
    from raw_values
)

select * from converted
{%- endmacro %}
