{#-
  DuckDB: a contracted model's DDL without its primary key and unique constraints. This project's
  keys are informational, as on Redshift (which never enforces them): the unique and not_null data
  tests enforce them, on every engine. DuckDB would enforce them with an index built row by row:
  at 10M events, inserting the 7.9M plays into fct_songplays took 75 s and 1.1 GiB more memory
  with the primary key, 5 s without (docs/benchmarks.md). Column types and not null stay. Redshift
  keeps dbt's default DDL, keys included.
-#}
{% macro duckdb__get_table_columns_and_constraints() -%}
  {%- set keys = ['primary_key', 'unique'] -%}
  {%- set columns = {} -%}
  {%- for name, column in model['columns'].items() -%}
    {%- set kept = dict(column) -%}
    {%- do kept.update({'constraints': column.get('constraints', []) | rejectattr('type', 'in', keys) | list}) -%}
    {%- do columns.update({name: kept}) -%}
  {%- endfor -%}
  {%- set raw_column_constraints = adapter.render_raw_columns_constraints(raw_columns=columns) -%}
  {%- set raw_model_constraints = adapter.render_raw_model_constraints(raw_constraints=model['constraints'] | rejectattr('type', 'in', keys) | list) -%}
    (
    {% for c in raw_column_constraints -%}
      {{ c }}{{ "," if not loop.last or raw_model_constraints }}
    {% endfor %}
    {% for c in raw_model_constraints -%}
        {{ c }}{{ "," if not loop.last }}
    {% endfor -%}
    )
{%- endmacro %}
