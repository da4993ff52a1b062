{#
  Reads every run parameter (dbt var), validates it, and returns a dict of clean values.
  Anything that is templated into SQL or into an S3/local path goes through here first, so a
  malformed value fails at compile time with a message naming the var and the value.
  Every check is an allow-list matched against the whole value (re.fullmatch: '$' alone would let a
  trailing newline through), with a length limit (S3 keys are at most 1024 bytes).
  Every invalid var is reported, one line each (sparkify_invalid_var_message), in one error.
#}
{% macro sparkify_settings() %}
  {%- set re = modules.re -%}
  {%- set s = {} -%}
  {%- set errors = [] -%}

  {#- data_root: local folder or s3://bucket[/prefix]; no quotes, spaces, ';' or '..' -#}
  {%- set root_raw = var('data_root') or env_var('SPARKIFY_DATA_ROOT', 'data/sparkify') -%}
  {%- set root = (root_raw | string | trim).rstrip('/') -%}
  {%- if root | length > 1024 or not re.fullmatch('^(s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](/[A-Za-z0-9_.=-]+)*|/?[A-Za-z0-9_.=-]+(/[A-Za-z0-9_.=-]+)*)$', root) or '..' in root.split('/') -%}
    {%- do errors.append(sparkify_invalid_var_message('data_root', root_raw, "a local folder or s3://bucket[/prefix] made of letters, digits and _ . = - /, at most 1024 characters")) -%}
  {%- endif -%}
  {%- do s.update({'data_root': root, 'is_s3': root.startswith('s3://')}) -%}

  {#- key prefixes (relative to data_root: no leading '/') and the day-file pattern -#}
  {%- for name in ['events_prefix', 'songs_prefix'] -%}
    {%- set value = (var(name) | string | trim).rstrip('/') -%}
    {%- if value | length > 1024 or not re.fullmatch('^[A-Za-z0-9_.=-]+(/[A-Za-z0-9_.=-]+)*$', value) or '..' in value.split('/') -%}
      {%- do errors.append(sparkify_invalid_var_message(name, var(name), "an S3 key prefix relative to data_root made of letters, digits and _ . = - /, at most 1024 characters")) -%}
    {%- endif -%}
    {%- do s.update({name: value}) -%}
  {%- endfor -%}
  {%- set day_key = var('events_day_key') | string | trim -%}
  {#- only date directives: others render spaces (%c), newlines (%n) or slashes (%D, %x) into the key -#}
  {%- if day_key | length > 1024 or not re.fullmatch('^([A-Za-z0-9_.=-]|%[Ymdyj])+(/([A-Za-z0-9_.=-]|%[Ymdyj])+)*$', day_key) or '%d' not in day_key or '..' in day_key -%}
    {%- do errors.append(sparkify_invalid_var_message('events_day_key', day_key, "a strftime pattern with %d relative to events_prefix made of letters, digits, _ . = - / and the directives %Y %y %m %d %j, at most 1024 characters")) -%}
  {%- endif -%}
  {%- do s.update({'events_day_key': day_key}) -%}

  {#- JSON mapping options -#}
  {%- for name in ['events_json_option', 'songs_json_option'] -%}
    {%- set value = var(name) | string | trim -%}
    {%- if value | lower in ['auto', 'auto ignorecase'] -%}
      {%- do s.update({name: {'mode': value | lower, 'uri': none}}) -%}
    {%- elif value | length <= 1024 and re.fullmatch('^(s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]/|/)?[A-Za-z0-9_.=-]+(/[A-Za-z0-9_.=-]+)*\.json$', value) and '..' not in value.split('/') -%}
      {%- set uri = value if (value.startswith('s3://') or value.startswith('/')) else root ~ '/' ~ value -%}
      {%- do s.update({name: {'mode': 'jsonpaths', 'uri': uri}}) -%}
    {%- else -%}
      {%- do errors.append(sparkify_invalid_var_message(name, value, "'auto', 'auto ignorecase', or the path/s3:// URI of a JSONPaths .json file (letters, digits and _ . = - /, at most 1024 characters)")) -%}
    {%- endif -%}
  {%- endfor -%}

  {#- Redshift COPY credentials: region and IAM role (never access keys) -#}
  {%- set region = (var('s3_region') or env_var('SPARKIFY_S3_REGION', 'us-west-2')) | string | trim -%}
  {%- if region | length > 32 or not re.fullmatch('^[a-z]{2}(-[a-z]+)+-[0-9]$', region) -%}
    {%- do errors.append(sparkify_invalid_var_message('s3_region', region, "an AWS region such as us-west-2")) -%}
  {%- endif -%}
  {%- set iam_role = (var('iam_role') or env_var('SPARKIFY_IAM_ROLE', '')) | string | trim -%}
  {%- if iam_role and (iam_role | length > 1024 or not re.fullmatch('^arn:aws[a-z-]*:iam::[0-9]{12}:role/[A-Za-z0-9+=,.@_/-]{1,512}$', iam_role)) -%}
    {%- do errors.append(sparkify_invalid_var_message('iam_role', iam_role, "an IAM role ARN such as arn:aws:iam::123456789012:role/sparkify-copy")) -%}
  {%- endif -%}
  {%- do s.update({'s3_region': region, 'iam_role': iam_role}) -%}

  {#- Redshift deployment kind: where a COPY's rejected lines can be read (redshift__copy_json) -#}
  {%- set deployment = (var('redshift_deployment') or env_var('SPARKIFY_REDSHIFT_DEPLOYMENT', 'provisioned')) | string | trim | lower -%}
  {%- if deployment not in ['provisioned', 'serverless'] -%}
    {%- do errors.append(sparkify_invalid_var_message('redshift_deployment', deployment, "provisioned or serverless")) -%}
  {%- endif -%}
  {%- do s.update({'redshift_deployment': deployment}) -%}

  {%- set landing_schema = (var('landing_schema') or env_var('SPARKIFY_LANDING_SCHEMA', '')) | string | trim -%}
  {%- if landing_schema and not re.fullmatch('^[A-Za-z_][A-Za-z0-9_]{0,126}$', landing_schema) -%}
    {%- do errors.append(sparkify_invalid_var_message('landing_schema', landing_schema, "a plain schema name (letters, digits, _)")) -%}
  {%- endif -%}
  {%- do s.update({'landing_schema': landing_schema}) -%}

  {#- Profile values read from the environment (profiles.yml): the DuckDB file, whose name becomes the
      database identifier of every statement, and the S3 endpoint of the fsspec filesystem -#}
  {%- if target.type == 'duckdb' -%}
    {%- set duckdb_path = target.path | string -%}
    {%- if duckdb_path != ':memory:' and (duckdb_path | length > 1024 or not re.fullmatch('^/?[A-Za-z0-9_.=-]+(/[A-Za-z0-9_.=-]+)*$', duckdb_path) or '..' in duckdb_path.split('/')) -%}
      {%- do errors.append(sparkify_invalid_var_message('SPARKIFY_DUCKDB_PATH', duckdb_path, "a DuckDB file path made of letters, digits and _ . = - /, at most 1024 characters")) -%}
    {%- endif -%}
  {%- endif -%}
  {%- set endpoint = env_var('SPARKIFY_S3_ENDPOINT_URL', '') -%}
  {%- if endpoint and (endpoint | length > 1024 or not re.fullmatch('^https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?/?$', endpoint)) -%}
    {%- do errors.append(sparkify_invalid_var_message('SPARKIFY_S3_ENDPOINT_URL', endpoint, "an http(s)://host[:port] URL without credentials or path")) -%}
  {%- endif -%}

  {#- Window mode: both bounds or neither -#}
  {#- From --vars, else env SPARKIFY_DATA_INTERVAL_START/END: the DAG passes the window by env, because dbt
      drops its whole partial parse when --vars change (every hour), but re-parses only the files that read an
      env var when that var changes -#}
  {%- set start_v = var('data_interval_start') or env_var('SPARKIFY_DATA_INTERVAL_START', '') -%}
  {%- set end_v = var('data_interval_end') or env_var('SPARKIFY_DATA_INTERVAL_END', '') -%}
  {%- set start_raw = start_v | string | trim if start_v is not none else '' -%}
  {%- set end_raw = end_v | string | trim if end_v is not none else '' -%}
  {%- if start_raw in ['', 'None'] and end_raw in ['', 'None'] -%}
    {%- do s.update({'window': none}) -%}
  {%- elif start_raw in ['', 'None'] or end_raw in ['', 'None'] -%}
    {%- set missing = 'data_interval_start' if start_raw in ['', 'None'] else 'data_interval_end' -%}
    {%- do errors.append(sparkify_invalid_var_message(missing, '', "both data_interval_start and data_interval_end, or neither")) -%}
  {%- else -%}
    {%- set start = sparkify_parse_timestamp(start_raw) -%}
    {%- set end = sparkify_parse_timestamp(end_raw) -%}
    {%- set expected_timestamp = "an ISO-8601 timestamp such as 2018-11-15T14:00:00+00:00" -%}
    {%- if start is none -%}
      {%- do errors.append(sparkify_invalid_var_message('data_interval_start', start_raw, expected_timestamp)) -%}
    {%- endif -%}
    {%- if end is none -%}
      {%- do errors.append(sparkify_invalid_var_message('data_interval_end', end_raw, expected_timestamp)) -%}
    {%- endif -%}
    {%- if start is not none and end is not none and end <= start -%}
      {%- do errors.append(sparkify_invalid_var_message('data_interval_end', end_raw, "a timestamp after data_interval_start=" ~ start_raw)) -%}
    {%- elif start is not none and end is not none -%}
      {%- set dt = modules.datetime -%}
      {%- set epoch = dt.datetime(1970, 1, 1) -%}
      {%- set last_day = (end - dt.timedelta(microseconds=1)).date() -%}
      {%- set days = [] -%}
      {%- for i in range((last_day - start.date()).days + 1) -%}
        {%- do days.append(start.date() + dt.timedelta(days=i)) -%}
      {%- endfor -%}
      {%- do s.update({'window': {
            'start': start, 'end': end,
            'start_sql': start.strftime('%Y-%m-%d %H:%M:%S.%f'),
            'end_sql': end.strftime('%Y-%m-%d %H:%M:%S.%f'),
            'days': days,
            'days_start_ms': ((dt.datetime.combine(days[0], dt.time()) - epoch).total_seconds() * 1000) | int,
            'days_end_ms': ((dt.datetime.combine(days[-1], dt.time()) + dt.timedelta(days=1) - epoch).total_seconds() * 1000) | int,
          }}) -%}
    {%- endif -%}
  {%- endif -%}

  {#- Data tests of a window run: 'window' reads only the days the run replaced; 'history' reads
      everything (the DAG's run that ends at 00:00 UTC, docs/hourly-contract.md "Which check runs when") -#}
  {%- set test_scope_raw = var('test_scope') or env_var('SPARKIFY_TEST_SCOPE', 'window') -%}
  {%- set test_scope = test_scope_raw | string | trim | lower -%}
  {%- if test_scope not in ['window', 'history'] -%}
    {%- do errors.append(sparkify_invalid_var_message('test_scope', test_scope_raw, "window or history")) -%}
  {%- endif -%}
  {%- do s.update({'test_scope': test_scope}) -%}

  {%- set reload = var('reload_songs') -%}
  {%- if reload in [true, false] -%}
    {%- do s.update({'reload_songs': reload}) -%}
  {%- elif reload | string | lower in ['true', 'false'] -%}
    {%- do s.update({'reload_songs': reload | string | lower == 'true'}) -%}
  {%- else -%}
    {%- do errors.append(sparkify_invalid_var_message('reload_songs', reload, "true or false")) -%}
  {%- endif -%}

  {%- set tolerance = var('song_match_tolerance_seconds') | string | trim -%}
  {%- if not re.fullmatch('^[0-9]{1,2}(\.[0-9]{1,6})?$', tolerance) -%}
    {%- do errors.append(sparkify_invalid_var_message('song_match_tolerance_seconds', tolerance, "a number of seconds from 0 to 99.999999")) -%}
  {%- endif -%}
  {%- do s.update({'song_match_tolerance_seconds': tolerance}) -%}

  {#- Bad input: Redshift MAXERROR for one load, and the rejected-lines test's error threshold -#}
  {%- for name, upper in [('max_load_errors', 100000), ('load_error_threshold', 999999999)] -%}
    {%- set value = var(name) | string | trim -%}
    {%- if not re.fullmatch('[0-9]{1,9}', value) or value | int > upper -%}
      {%- do errors.append(sparkify_invalid_var_message(name, var(name), "an integer from 0 to " ~ upper)) -%}
    {%- endif -%}
    {%- do s.update({name: value | int}) -%}
  {%- endfor -%}

  {%- set mode = var('dimension_load_mode') | string | trim -%}
  {%- if mode not in ['truncate_insert', 'merge'] -%}
    {%- do errors.append(sparkify_invalid_var_message('dimension_load_mode', mode, "truncate_insert or merge")) -%}
  {%- endif -%}
  {%- do s.update({'dimension_load_mode': mode}) -%}

  {%- if errors -%}
    {{ exceptions.raise_compiler_error(errors | join('\n')) }}
  {%- endif -%}
  {{ return(s) }}
{% endmacro %}
