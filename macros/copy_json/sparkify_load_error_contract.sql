{#-
  The line-level rejection contract, the same for every engine (duckdb__copy_json implements it;
  the Redshift COPY and its harness implement it with Redshift's own parser). Every err_code and
  err_reason text written to the landing table load_errors comes from here; docs/bad-input.md
  explains each case.

  errors: one entry per kind of rejection, with the Redshift load error code
  (https://docs.aws.amazon.com/redshift/latest/dg/r_Load_Error_Reference.html) and the reason
  template. Placeholders in braces are filled per line (sparkify_load_error_reason_sql):
    {value} the field's value, {char}/{pos} the first character that is not a digit and its
            0-based position in the value, {type} Redshift's type name (types below),
            {hex} the first byte that is not valid UTF-8, {day} the file's UTC day.
  Values shown in raw_line, raw_field_value and reasons are ASCII: as in Redshift's
  STL_LOAD_ERRORS, every character outside ASCII is shown as a period (patterns.non_ascii).
  9101/9102 are outside Redshift's range: they are raised after COPY by the partition check
  (sparkify_partition_rejects_sql), so they carry no line_number or raw_line on any engine and do
  not count against max_load_errors.

  patterns: what a numeric column accepts from a JSON number or string (surrounding white space
  allowed); an empty or blank value loads as NULL into any non-character column.
-#}
{% macro sparkify_load_error_contract() %}
  {{ return({
    'errors': {
      'invalid_utf8': {'code': 1220, 'colname': false,
        'reason': 'String contains invalid or unsupported UTF-8 codepoints. Bad UTF-8 hex sequence: {hex}'},
      'byte_order_mark': {'code': 1224, 'colname': false,
        'reason': 'Malformed JSON: the line starts with a UTF-8 byte order mark (EF BB BF)'},
      'malformed_json': {'code': 1224, 'colname': false,
        'reason': 'Malformed JSON: the line is not one valid JSON object'},
      'not_an_object': {'code': 1224, 'colname': false,
        'reason': 'Malformed JSON: the line is valid JSON but not an object'},
      'invalid_digit': {'code': 1207, 'colname': true,
        'reason': "Invalid digit, Value '{char}', Pos {pos}, Type: {type}"},
      'integer_overflow': {'code': 1222, 'colname': true,
        'reason': "Overflow, Value '{value}', Type: {type}"},
      'invalid_float': {'code': 1208, 'colname': true,
        'reason': "Invalid float format, Value '{value}', Type: {type}"},
      'float_out_of_range': {'code': 1204, 'colname': true,
        'reason': "Out of range, Value '{value}', Type: {type}"},
      'outside_file_day': {'code': 9101, 'colname': true,
        'reason': 'ts {value} is outside the UTC day {day} of its file: not loaded (window mode)'},
      'partition_key_missing': {'code': 9102, 'colname': true,
        'reason': 'ts is missing or null: the row belongs to no UTC day partition'},
    },
    'types': {
      'smallint': 'Short', 'int2': 'Short',
      'integer': 'Integer', 'int': 'Integer', 'int4': 'Integer',
      'bigint': 'Long', 'int8': 'Long',
      'double precision': 'Double', 'float8': 'Double', 'float': 'Double',
      'real': 'Float', 'float4': 'Float',
    },
    'patterns': {
      'integer': '^\\s*[+-]?[0-9]+\\s*$',
      'integer_prefix': '^\\s*[+-]?[0-9]*',
      'float': '^\\s*[+-]?([0-9]+(\\.[0-9]*)?|\\.[0-9]+)([eE][+-]?[0-9]+)?\\s*$',
      'non_ascii': '[^\\x01-\\x7F]',
    },
    'widths': {'raw_line': 1024, 'raw_field_value': 1024, 'err_reason': 512, 'reason_value': 100},
  }) }}
{% endmacro %}
