{#- `create table if not exists` from a list of {name, data_type} dicts. -#}
{% macro sparkify_create_table_sql(relation, columns) -%}
create table if not exists {{ relation }} (
{%- for column in columns %}
    {{ column.name }} {{ column.data_type }}{{ ',' if not loop.last }}
{%- endfor %}
)
{%- endmacro %}
