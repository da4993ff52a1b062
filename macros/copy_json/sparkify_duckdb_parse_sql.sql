{#-
  DuckDB: reads the files of one load and classifies each record, set-based, into the temp table
  `temp`: the landing columns, converted (sparkify_duckdb_column_conversion), plus _source (the
  data_root/key the file was loaded from), _filename, _line_number and, for a rejected record,
  _err_code, _colname, _err_reason, _raw_line, _raw_field_value. Then moves the rejected records
  into the temp table `errors` (load_errors' columns without _loaded_at, plus _source).

  Parsing follows Redshift COPY's JSON reader (sparkify_load_error_contract): one record per line;
  blank lines and the CR of CRLF line ends are white space; a line that is not one JSON object is
  rejected (1224), a line that is not valid UTF-8 too (1220); a value that does not convert to its
  column's type rejects the line (the first such column in table order).
  whole_files: the second pass of duckdb__copy_json for a file that is one JSON object spread over
  several lines (pretty-printed): each file of `sources` whose name is in `only_files` (a SQL
  subquery) is one record, numbered by its last line as Redshift numbers a multi-line record, and
  only files whose whole text is one JSON object give a row.
    sources: [{'uri': data_root/key, 'pattern': the file or glob read for that key}]
    paths:   per JSON column, the SQL of its JSON path; constant_paths: whether they are literals
-#}
{% macro sparkify_duckdb_parse_sql(plan, sources, paths, constant_paths, temp, errors, whole_files=false, only_files=none) -%}
  {%- set contract = sparkify_load_error_contract() -%}
  {%- set error_kinds = contract.errors -%}
  {%- set non_ascii = contract.patterns.non_ascii -%}
  {%- set raw_width = contract.widths.raw_line -%}
  {%- set columns = plan.json_columns -%}
  {%- set conversions = [] -%}
  {%- for column in columns -%}
    {%- do conversions.append(sparkify_duckdb_column_conversion(column, '_raw_' ~ column.name)) -%}
  {%- endfor -%}
  {#- For a line that is not valid UTF-8 (line is null; escaped holds its bytes as \xHH): the
      well-formed multibyte sequences shown as one period, so what remains above \x7F is bad. -#}
  {%- set dotted -%}
regexp_replace(escaped, '\\x(?:[CD][0-9A-F]\\x[89AB][0-9A-F]|E[0-9A-F](?:\\x[89AB][0-9A-F]){2}|F[0-4](?:\\x[89AB][0-9A-F]){3})', '.', 'g')
  {%- endset -%}
  {%- set bad_hex -%}
lower(coalesce(nullif(regexp_extract({{ dotted }}, '\\x([89A-F][0-9A-F])', 1), ''), regexp_extract(escaped, '\\x([89A-F][0-9A-F])', 1)))
  {%- endset -%}
  {%- set bad_line -%}
regexp_replace(rtrim(decode(cast(regexp_replace({{ dotted }}, '\\x[89A-F][0-9A-F]', '.', 'g') as blob)), chr(13)), '{{ non_ascii }}', '.', 'g')
  {%- endset -%}
  {%- set checked = [] -%}
  {%- for column in columns -%}
    {%- if conversions[loop.index0].error -%}
      {%- do checked.append({'name': column.name, 'conversion': conversions[loop.index0]}) -%}
    {%- endif -%}
  {%- endfor -%}
{%- set reading -%}
files as (
{%- for source in sources %}
    select
        '{{ source.uri }}' as _source,
        filename,
        content,
        try(decode(content)) as text
    from read_blob('{{ source.pattern }}')
    {%- if only_files %}
    where filename in ({{ only_files }})
    {%- endif %}
    {%- if not loop.last %}
    union all
    {%- endif %}
{%- endfor %}
),
{%- if not whole_files %}

split_files as (
    -- A file that is not valid UTF-8 is split as bytes: the blob-to-text cast shows every byte
    -- outside printable ASCII as \xHH, so its lines split on \x0A and decode one by one.
    select
        _source,
        filename,
        text is null as is_bytes,
        string_split(
            coalesce(text, cast(content as varchar)),
            case when text is null then '\x0A' else chr(10) end
        ) as parts
    from files
),

split_lines as (
    select
        _source,
        filename,
        is_bytes,
        unnest(parts) as part,
        generate_subscripts(parts, 1) as line_number
    from split_files
),

lines as (
    select
        _source,
        filename,
        line_number,
        case when is_bytes then try(decode(cast(part as blob))) else part end as line,
        case when is_bytes then part end as escaped
    from split_lines
)
{%- else %}

lines as (
    select
        _source,
        filename,
        null::bigint as line_number,
        text as line,
        null::varchar as escaped
    from files
    where text is not null
)
{%- endif %}
{%- endset -%}
{#- Line by line, the lines are stored first: read_blob gives one row per file, so a query that
    splits and parses them in one go runs on one thread; the stored lines are parsed on all. A
    whole-file pass reads a few candidate files and keeps them in the query. -#}
{%- if not whole_files %}
create or replace temp table {{ temp }}__lines as
with

{{ reading }}

select * from lines;
{% endif %}
create or replace temp table {{ temp }} as
with

{% if whole_files -%}
{{ reading }},
{%- else -%}
lines as (
    select * from {{ temp }}__lines
),
{%- endif %}

parsed as (
    -- Blank lines (spaces, tabs, the CR of CRLF) are white space between records, as in Redshift.
    -- A line that starts with { and parses is an object: one parse gives its values, and only the
    -- other lines are checked with json_valid.
    select
        _source,
        filename,
        line_number,
        line,
        escaped,
    {%- if constant_paths %}
        case when starts_with(line, '{') then try(json_extract_string(line, [{{ paths | join(', ') }}])) end
    {%- else %}
        null::varchar[]
    {%- endif %} as first_vals
    from lines
    where line is null or starts_with(line, '{') or trim(line, ' ' || chr(9) || chr(13)) <> ''
),

validated as (
    select
        *,
        case when first_vals is not null then true else coalesce(json_valid(line), false) end as is_json
    from parsed
),

records as (
    select
        *,
        case
            when first_vals is not null then true
            when not is_json then false
            when starts_with(line, '{') then true
            else json_type(line) = 'OBJECT'
        end as is_object
    from validated
),

extracted as (
    select
        _source,
        filename,
        {%- if whole_files %}
        -- numbered by its last line, as Redshift numbers a record spread over several lines
        len(string_split(rtrim(line, ' ' || chr(9) || chr(10) || chr(13)), chr(10))) as line_number,
        {%- else %}
        line_number,
        {%- endif %}
        line,
        escaped,
        is_json,
        is_object,
        case
            when first_vals is not null then first_vals
            when is_object then
        {%- if constant_paths %}
                json_extract_string(line, [{{ paths | join(', ') }}])
        {%- else %}
                [{% for path in paths %}json_extract_string(line, {{ path }}){{ ', ' if not loop.last }}{% endfor %}]
        {%- endif %}
        end as vals
    from records
    {%- if whole_files %}
    where is_object
    {%- endif %}
),

raw_values as (
    select
        _source,
        filename,
        line_number,
        line,
        escaped,
        is_json,
        is_object,
    {%- for column in columns %}
        vals[{{ loop.index }}] as _raw_{{ column.name }}{{ ',' if not loop.last }}
    {%- endfor %}
    from extracted
),

checked as (
    select
        *,
    {%- for c in checked %}
        {{ c.conversion.error | indent(8) }} as _error_{{ c.name }}{{ ',' if not loop.last }}
    {%- else %}
        null as _no_checked_column
    {%- endfor %}
    from raw_values
),

classified as (
    select
        _source,
        filename as _filename,
        line_number as _line_number,
        case
            when line is null then {{ error_kinds.invalid_utf8.code }}
            when not is_object then {{ error_kinds.malformed_json.code }}
        {%- for c in checked %}
            when _error_{{ c.name }} is not null then _error_{{ c.name }}
        {%- endfor %}
        end as _err_code,
        case
            when line is null or not is_object then null
        {%- for c in checked %}
            when _error_{{ c.name }} is not null then '{{ c.name }}'
        {%- endfor %}
        end as _colname,
        case
            when line is null then {{ sparkify_load_error_reason_sql('invalid_utf8', {'hex': bad_hex}) }}
            when not is_json and starts_with(line, chr(65279)) then {{ sparkify_load_error_reason_sql('byte_order_mark', {}) }}
            when not is_json then {{ sparkify_load_error_reason_sql('malformed_json', {}) }}
            when not is_object then {{ sparkify_load_error_reason_sql('not_an_object', {}) }}
        {%- for c in checked %}
            when _error_{{ c.name }} is not null then {{ c.conversion.reason | indent(12) }}
        {%- endfor %}
        end as _err_reason,
        case
            when line is null then left({{ bad_line }}, {{ raw_width }})
            when not is_object{% for c in checked %} or _error_{{ c.name }} is not null{% endfor %}
                then left(regexp_replace(rtrim(line, chr(13)), '{{ non_ascii }}', '.', 'g'), {{ raw_width }})
        end as _raw_line,
        case
            when line is null or not is_object then null
        {%- for c in checked %}
            when _error_{{ c.name }} is not null
                then left(regexp_replace(_raw_{{ c.name }}, '{{ non_ascii }}', '.', 'g'), {{ contract.widths.raw_field_value }})
        {%- endfor %}
        end as _raw_field_value,
    {%- for column in columns %}
        {{ conversions[loop.index0].value | indent(8) }} as {{ column.name }}{{ ',' if not loop.last }}
    {%- endfor %}
    from checked
)

select * from classified;

{%- if not whole_files %}

drop table {{ temp }}__lines;
{%- endif %}

create or replace temp table {{ errors }} as
select
    '{{ plan.table_name }}' as table_name,
    _filename as filename,
    _line_number as line_number,
    _colname as colname,
    _err_code as err_code,
    _err_reason as err_reason,
    _raw_line as raw_line,
    _raw_field_value as raw_field_value,
    _source
from {{ temp }}
where _err_code is not null;

delete from {{ temp }} where _err_code is not null
{%- endmacro %}
