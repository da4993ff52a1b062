{#-
  dbt's hook that applies a data test's `where` config (this project's version replaces dbt's
  default__get_where_subquery, whose behaviour it keeps). In a window run whose test_scope is
  'window', a test on a model that declares meta.sparkify_window_column (a timestamp column) reads
  only the UTC days the run replaced, so the hourly checks cost the same whatever the history; full
  runs and test_scope 'history' read everything (docs/hourly-contract.md "Which check runs when").
-#}
{% macro get_where_subquery(relation) -%}
  {%- set filters = [] -%}
  {%- set where = config.get('where') -%}
  {%- if where -%}
    {%- do filters.append('(' ~ where ~ ')') -%}
  {%- endif -%}
  {%- set tested = graph.nodes.get(model.attached_node) if execute and model.attached_node else none -%}
  {%- set column = tested.config.meta.get('sparkify_window_column') if tested else none -%}
  {%- if column -%}
    {%- set settings = sparkify_settings() -%}
    {%- set scope = sparkify_merge_scope(settings) -%}
    {%- if scope.kind == 'days' and settings.test_scope == 'window' -%}
      {%- do filters.append(column ~ " >= cast('" ~ scope.start_sql ~ "' as timestamp) and "
                            ~ column ~ " < cast('" ~ scope.end_sql ~ "' as timestamp)") -%}
    {%- endif -%}
  {%- endif -%}
  {%- if filters -%}
    {{ return('(select * from ' ~ relation ~ ' where ' ~ filters | join(' and ') ~ ') dbt_subquery') }}
  {%- endif -%}
  {{ return(relation) }}
{%- endmacro %}
