{#-
  What an incremental run of a model keyed by time (fct_songplays, dim_time) recomputes, so that
  any sequence of window runs ends equal to a full build (docs/hourly-contract.md "The hourly contract"):
    'days' - a window run: exactly the UTC days its load replaced in the landing table, all of
             them, not only its hour (a day file that grew, was corrected or re-sent changes the
             whole day). The cost is a day or two of events, whatever the history.
    'all'  - a full run, or a window run with reload_songs (a new catalogue can change the song
             match of any play): everything.
  Returns {'kind', 'start_sql', 'end_sql', 'start_ms', 'end_ms'} (bounds only for 'days').
  Takes the dict from sparkify_settings() so the vars are validated once.
-#}
{% macro sparkify_merge_scope(settings) %}
  {%- set window = settings.window -%}
  {%- if window is none or settings.reload_songs -%}
    {{ return({'kind': 'all'}) }}
  {%- endif -%}
  {%- set dt = modules.datetime -%}
  {%- set first = dt.datetime.combine(window.days[0], dt.time()) -%}
  {%- set after = dt.datetime.combine(window.days[-1], dt.time()) + dt.timedelta(days=1) -%}
  {{ return({
      'kind': 'days',
      'start_sql': first.strftime('%Y-%m-%d %H:%M:%S'),
      'end_sql': after.strftime('%Y-%m-%d %H:%M:%S'),
      'start_ms': window.days_start_ms,
      'end_ms': window.days_end_ms}) }}
{% endmacro %}
