{#-
  DuckDB: the byte probe of duckdb__copy_json, into the temp table `probe`, one row per file of a
  load: source (its index in `sources`), filename, and flagged when the fast pass cannot be
  trusted with it. One streaming, parallel read of every file as lines (the CSV reader: one
  column, no quoting or escaping, lines up to 2 MiB), and the file sizes (no read). A file is
  flagged when
    - a line holds a form feed or a vertical tab: DuckDB's JSON reader skips a line of only \f
      or \v without a row, and reads \f after an object as white space, where the contract
      rejects the line (sparkify_load_error_contract); or a line starts with a byte order mark;
    - its lines do not add up to its size (each line's bytes plus its newline, the last one
      without): the CSV reader dropped something. It drops a byte order mark at the start of
      the file (which the JSON reader drops too, silently), a line that is not UTF-8 and a line
      over 2 MiB (which could exceed the JSON reader's limit and stop the whole scan).
  A flagged file is loaded by the exact path only.
    sources: [{'uri': data_root/key, 'pattern': the file or glob read for that key}]
-#}
{% macro sparkify_duckdb_probe_sql(sources, probe) -%}
create or replace temp table {{ probe }} as
with

sizes as (
{%- for source in sources %}
    select
        {{ loop.index0 }} as source,
        filename,
        size
    from read_blob('{{ source.pattern }}')
    {%- if not loop.last %}
    union all
    {%- endif %}
{%- endfor %}
),

lines as (
{%- for source in sources %}
    select
        filename,
        line
    from read_csv(
        '{{ source.pattern }}',
        columns = {'line': 'varchar'},
        delim = '\x1F',
        quote = '',
        escape = '',
        new_line = '\n',
        header = false,
        auto_detect = false,
        strict_mode = false,
        ignore_errors = true,
        max_line_size = 2097152,
        filename = true
    )
    {%- if not loop.last %}
    union all
    {%- endif %}
{%- endfor %}
),

per_file as (
    select
        filename,
        sum(strlen(coalesce(line, '')) + 1) as counted_bytes,
        bool_or(
            starts_with(line, chr(65279)) or contains(line, chr(12)) or contains(line, chr(11))
        ) as has_dropped_characters
    from lines
    group by filename
)

select
    sizes.source,
    sizes.filename,
    coalesce(per_file.has_dropped_characters, false)
    or coalesce(per_file.counted_bytes, 0) - sizes.size not in (0, 1) as flagged
from sizes
left join per_file on sizes.filename = per_file.filename
{%- endmacro %}
