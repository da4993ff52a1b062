{#-
  DuckDB: how one landing column takes its value from the JSON text `raw` (json_extract_string of
  the column's key), with Redshift COPY's conversions (see sparkify_load_error_contract):
    character types - BLANKSASNULL/EMPTYASNULL, then TRUNCATECOLUMNS: a value longer than the
                      column's width in BYTES (Redshift varchar(n) counts bytes; DuckDB ignores n) is
                      cut to at most n bytes at a character boundary. No rejection.
    integer types   - digits with an optional sign (a JSON number or a string); otherwise
                      rejected 1207 (invalid digit), or 1222 when out of the type's range.
    float types     - a decimal number; otherwise 1208, or 1204 when it overflows to infinity.
  Blank values (empty or only spaces) load as NULL into every type; trim() runs only on a value
  that starts with a space, which saves a string copy per value.
  Returns {'value': SQL of the typed value, 'error': SQL of the error code or none,
  'reason': SQL of the reason (evaluated only when error is not null)}.
-#}
{% macro sparkify_duckdb_column_conversion(column, raw) %}
  {%- set contract = sparkify_load_error_contract() -%}
  {%- set patterns = contract.patterns -%}
  {%- set errors = contract.errors -%}
  {%- set data_type = column.data_type | lower | trim -%}
  {%- set shown = "left(regexp_replace(" ~ raw ~ ", '" ~ patterns.non_ascii ~ "', '.', 'g'), " ~ contract.widths.reason_value ~ ")" -%}
  {%- set character = modules.re.match('^(?:varchar|character varying|nvarchar|char|character|bpchar|text)(?:\s*\(\s*([0-9]+)\s*\))?$', data_type) -%}
  {%- if character -%}
    {#- Redshift: varchar/char without a length is 256 bytes; TEXT is varchar(256). -#}
    {%- set width = (character.group(1) or 256) | int -%}
    {%- set value -%}
case
    when {{ raw }} is null or {{ raw }} = '' or (starts_with({{ raw }}, ' ') and trim({{ raw }}) = '') then null
    when strlen({{ raw }}) <= {{ width }} then {{ raw }}
    else decode(array_slice(encode({{ raw }}), 1, case
        when not array_slice(encode({{ raw }}), {{ width + 1 }}, {{ width + 1 }}) between '\x80'::blob and '\xBF'::blob then {{ width }}
        when not array_slice(encode({{ raw }}), {{ width }}, {{ width }}) between '\x80'::blob and '\xBF'::blob then {{ width - 1 }}
        when not array_slice(encode({{ raw }}), {{ width - 1 }}, {{ width - 1 }}) between '\x80'::blob and '\xBF'::blob then {{ width - 2 }}
        else {{ width - 3 }}
    end))
end
    {%- endset -%}
    {{ return({'value': value, 'error': none, 'reason': none}) }}
  {%- elif data_type in contract.types -%}
    {%- set type_name = contract.types[data_type] -%}
    {%- set blank = raw ~ " is null or " ~ raw ~ " = '' or (starts_with(" ~ raw ~ ", ' ') and trim(" ~ raw ~ ") = '')" -%}
    {%- if type_name in ['Short', 'Integer', 'Long'] -%}
      {%- set error -%}
case
    when {{ blank }} then null
    when not regexp_matches({{ raw }}, '{{ patterns.integer }}') then {{ errors.invalid_digit.code }}
    when try_cast({{ raw }} as {{ data_type }}) is null then {{ errors.integer_overflow.code }}
end
      {%- endset -%}
      {%- set pos = "length(regexp_extract(" ~ raw ~ ", '" ~ patterns.integer_prefix ~ "'))" -%}
      {%- set char = "regexp_replace(substr(" ~ raw ~ ", " ~ pos ~ " + 1, 1), '" ~ patterns.non_ascii ~ "', '.', 'g')" -%}
      {%- set reason -%}
case when not regexp_matches({{ raw }}, '{{ patterns.integer }}')
    then {{ sparkify_load_error_reason_sql('invalid_digit', {'char': char, 'pos': 'cast(' ~ pos ~ ' as varchar)', 'type': "'" ~ type_name ~ "'"}) }}
    else {{ sparkify_load_error_reason_sql('integer_overflow', {'value': shown, 'type': "'" ~ type_name ~ "'"}) }}
end
      {%- endset -%}
    {%- else -%}
      {%- set error -%}
case
    when {{ blank }} then null
    when not regexp_matches({{ raw }}, '{{ patterns.float }}') then {{ errors.invalid_float.code }}
    when isinf(try_cast({{ raw }} as {{ data_type }})) then {{ errors.float_out_of_range.code }}
end
      {%- endset -%}
      {%- set reason -%}
case when not regexp_matches({{ raw }}, '{{ patterns.float }}')
    then {{ sparkify_load_error_reason_sql('invalid_float', {'value': shown, 'type': "'" ~ type_name ~ "'"}) }}
    else {{ sparkify_load_error_reason_sql('float_out_of_range', {'value': shown, 'type': "'" ~ type_name ~ "'"}) }}
end
      {%- endset -%}
    {%- endif -%}
    {{ return({'value': 'try_cast(' ~ raw ~ ' as ' ~ data_type ~ ')', 'error': error, 'reason': reason}) }}
  {%- else -%}
    {{ exceptions.raise_compiler_error("copy_json: column " ~ column.name ~ " has type " ~ column.data_type ~ ", which the DuckDB loader does not convert (character, integer and float types only)") }}
  {%- endif -%}
{% endmacro %}
