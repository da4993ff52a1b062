{#-
  DuckDB: the byte probe of duckdb__copy_json, one read of every file of a load into the temp
  table `probe`: filename, size, and flagged when the file holds what DuckDB's JSON reader drops
  without a row, where the contract rejects a line (sparkify_load_error_contract): a UTF-8 byte
  order mark at its start, a form feed or vertical tab (a line of only \f or \v is skipped by the
  reader, and \f after an object is read as white space), or bytes that are not UTF-8. A flagged
  file is loaded by the exact path.
    sources: [{'uri': data_root/key, 'pattern': the file or glob read for that key}]
-#}
{% macro sparkify_duckdb_probe_sql(sources, probe) -%}
create or replace temp table {{ probe }} as
with

files as (
{%- for source in sources %}
    select
        filename,
        size,
        try(decode(content)) as text
    from read_blob('{{ source.pattern }}')
    {%- if not loop.last %}
    union all
    {%- endif %}
{%- endfor %}
)

select
    filename,
    size,
    coalesce(
        starts_with(text, chr(65279)) or contains(text, chr(12)) or contains(text, chr(11)),
        true
    ) as flagged
from files
{%- endmacro %}
