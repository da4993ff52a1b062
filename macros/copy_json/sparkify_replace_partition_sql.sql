{#-
  Engine-neutral tail of a load: replace the plan's partition of the landing table with the rows
  of the temp table, stamping _loaded_at. Day partitions are UTC days of the epoch-ms column
  meta.partition_column. Runs inside the caller's transaction.
-#}
{% macro sparkify_replace_partition_sql(plan, temp) -%}
  {%- set landing = plan.landing.relation -%}
  {%- set day_column = plan.landing.meta.partition_column -%}
  {%- set json_names = plan.json_columns | map(attribute='name') | list -%}
delete from {{ landing }}
{%- if plan.replace == 'window_days' %}
where {{ day_column }} >= {{ plan.start_ms }} and {{ day_column }} < {{ plan.end_ms }}
{%- elif plan.replace == 'loaded_days' %}
where floor({{ day_column }} / 86400000.0) in (select distinct floor({{ day_column }} / 86400000.0) from {{ temp }})
{%- endif %};
insert into {{ landing }} ({{ json_names | join(', ') }}, _loaded_at)
select {{ json_names | join(', ') }}, {{ sparkify_utc_now() }}
from {{ temp }};
drop table {{ temp }}
{%- endmacro %}
