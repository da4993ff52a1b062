{#-
  Decides what one load does, the same way for every engine:
    keys     - S3 keys (relative to data_root) to load: key prefixes, as Redshift COPY matches them
    replace  - which partition of the landing table the load replaces:
               'window_days' (events, window mode: exactly the window's UTC days),
               'loaded_days' (events, full mode: every day present in the loaded data),
               'all'         (songs: the whole catalogue)
    uris     - data_root/key of each key: what load_errors.filename starts with for this load
               (a load replaces the rejections of exactly these prefixes)
    day_files - window mode: per key its UTC day and [start_ms, end_ms) (rows of a day file
               outside its day are rejected, code 9101)
    skip     - a message when there is nothing to do (songs in a window run)
-#}
{% macro sparkify_load_plan(table_name) %}
  {%- set s = sparkify_settings() -%}
  {%- set landing = sparkify_landing(table_name) -%}
  {%- set meta = landing.meta -%}
  {%- set prefix = s[meta.prefix_var] -%}
  {%- set plan = {
        'table_name': table_name, 'landing': landing, 'settings': s,
        'json_option': s[meta.json_option_var], 'json_format': meta.json_format,
        'json_columns': landing.columns | selectattr('json_key') | list,
        'temp_name': 'sparkify_load__' ~ table_name,
        'errors_temp_name': 'sparkify_load__' ~ table_name ~ '__errors',
        'max_load_errors': s.max_load_errors, 'skip': none} -%}
  {%- if meta.partition == 'day' -%}
    {%- if s.window is none -%}
      {%- do plan.update({'keys': [prefix ~ '/'], 'replace': 'loaded_days',
                          'replace_description': 'every day present in the loaded files'}) -%}
    {%- else -%}
      {%- set keys = [] -%}
      {%- set day_files = [] -%}
      {%- for day in s.window.days -%}
        {%- set key = prefix ~ '/' ~ day.strftime(s.events_day_key) -%}
        {%- do keys.append(key) -%}
        {%- set start_ms = s.window.days_start_ms + loop.index0 * 86400000 -%}
        {%- do day_files.append({'uri': s.data_root ~ '/' ~ key, 'day': day.isoformat(),
                                 'start_ms': start_ms, 'end_ms': start_ms + 86400000}) -%}
      {%- endfor -%}
      {%- do plan.update({'keys': keys, 'replace': 'window_days', 'day_files': day_files,
                          'replace_description': 'UTC days ' ~ s.window.days | map('string') | join(', '),
                          'start_ms': s.window.days_start_ms, 'end_ms': s.window.days_end_ms}) -%}
    {%- endif -%}
  {%- elif meta.partition == 'all' -%}
    {%- do plan.update({'keys': [prefix ~ '/'], 'replace': 'all', 'replace_description': 'the whole table'}) -%}
    {%- if s.window is not none and not s.reload_songs -%}
      {%- set has_rows = run_query('select 1 as has_rows from ' ~ landing.relation ~ ' limit 1') -%}
      {%- if has_rows.rows | length > 0 -%}
        {%- do plan.update({'skip': 'window run, catalogue already loaded: not rescanned (set var reload_songs=true to force)'}) -%}
      {%- endif -%}
    {%- endif -%}
  {%- else -%}
    {{ exceptions.raise_compiler_error("Source sparkify." ~ table_name ~ " has meta.partition=" ~ (meta.partition | tojson) ~ "; expected 'day' or 'all'.") }}
  {%- endif -%}
  {%- set uris = [] -%}
  {%- for key in plan.get('keys', []) -%}
    {%- do uris.append(s.data_root ~ '/' ~ key) -%}
  {%- endfor -%}
  {%- do plan.update({'uris': uris}) -%}
  {{ return(plan) }}
{% endmacro %}
