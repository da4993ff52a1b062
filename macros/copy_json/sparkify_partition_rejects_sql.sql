{#-
  Engine-neutral check after COPY, inside the load's transaction: rows that belong to no day
  partition of this load move from the temp table to the rejections temp table.
    9102 - the partition column (ts) is null: no day would ever replace the row, so every re-run
           would add it again.
    9101 - window mode only: a row of day file D whose ts is not on UTC day D. Kept, it would land
           in another day's partition, and a later load of either day would duplicate or delete it.
           (Full mode keeps such a row in its ts day: a prefix COPY cannot tell a row's file.)
  Nulls are typed: in a union, an untyped null is text on PostgreSQL (found by the Redshift harness).
  The temp table needs a column _source holding the data_root/key (plan.uris) the row was loaded
  from; those rows carry no line_number or raw_line (Redshift cannot know them after COPY).
  Renders nothing for tables that are not partitioned by day.
-#}
{% macro sparkify_partition_rejects_sql(plan, temp, errors_temp) -%}
  {%- if plan.landing.meta.partition == 'day' -%}
    {%- set contract = sparkify_load_error_contract() -%}
    {%- set column = plan.landing.meta.partition_column -%}
    {%- set outside -%}
      {%- if plan.replace == 'window_days' -%}
case _source
        {%- for file in plan.day_files %}
    when '{{ file.uri }}' then {{ column }} < {{ file.start_ms }} or {{ column }} >= {{ file.end_ms }}
        {%- endfor %}
    else false
end
      {%- else -%}
false
      {%- endif -%}
    {%- endset -%}
    {%- set day -%}
case _source
      {%- for file in plan.get('day_files', []) %}
    when '{{ file.uri }}' then '{{ file.day }}'
      {%- endfor %}
end
    {%- endset -%}
insert into {{ errors_temp }} (table_name, filename, line_number, colname, err_code, err_reason, raw_line, raw_field_value)
select
    '{{ plan.table_name }}' as table_name,
    _source as filename,
    cast(null as bigint) as line_number,
    '{{ column }}' as colname,
    {{ contract.errors.partition_key_missing.code }} as err_code,
    {{ sparkify_load_error_reason_sql('partition_key_missing', {}) }} as err_reason,
    cast(null as varchar) as raw_line,
    cast(null as varchar) as raw_field_value
from {{ temp }}
where {{ column }} is null
{%- if plan.replace == 'window_days' %}
union all
select
    '{{ plan.table_name }}' as table_name,
    _source as filename,
    cast(null as bigint) as line_number,
    '{{ column }}' as colname,
    {{ contract.errors.outside_file_day.code }} as err_code,
    {{ sparkify_load_error_reason_sql('outside_file_day', {'value': 'cast(' ~ column ~ ' as varchar)', 'day': day}) }} as err_reason,
    cast(null as varchar) as raw_line,
    cast({{ column }} as varchar) as raw_field_value
from {{ temp }}
where {{ column }} is not null and ({{ outside }})
{%- endif %};
delete from {{ temp }}
where {{ column }} is null or ({{ outside }});
  {%- endif -%}
{%- endmacro %}
