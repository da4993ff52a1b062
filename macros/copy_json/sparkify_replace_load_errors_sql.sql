{#-
  Engine-neutral: inside the load's transaction, replaces the rejections of the files this load
  read (sparkify_plan_files_predicate) by the rows of the rejections temp table
  (load_errors' columns without _loaded_at), stamped with the load time, then drops it. A re-run
  never duplicates rejections; a fixed file clears them.
-#}
{% macro sparkify_replace_load_errors_sql(plan, errors_temp) -%}
  {%- set load_errors = sparkify_landing('load_errors').relation -%}
  {%- set columns = ['table_name', 'filename', 'line_number', 'colname', 'err_code', 'err_reason', 'raw_line', 'raw_field_value'] -%}
delete from {{ load_errors }}
where {{ sparkify_plan_files_predicate(plan) }};
insert into {{ load_errors }} ({{ columns | join(', ') }}, _loaded_at)
select {{ columns | join(', ') }}, {{ sparkify_utc_now() }}
from {{ errors_temp }};
drop table {{ errors_temp }}
{%- endmacro %}
