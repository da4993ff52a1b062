{#-
  Engine-neutral: inside the load's transaction, replaces the rejections of the files this load
  read (those whose filename starts with one of plan.uris, the data_root/key prefixes; matched
  with left(), not LIKE, where _ is a wildcard) by the rows of the rejections temp table
  (load_errors' columns without _loaded_at), stamped with the load time, then drops it. A re-run
  never duplicates rejections; a fixed file clears them.
-#}
{% macro sparkify_replace_load_errors_sql(plan, errors_temp) -%}
  {%- set load_errors = sparkify_landing('load_errors').relation -%}
  {%- set columns = ['table_name', 'filename', 'line_number', 'colname', 'err_code', 'err_reason', 'raw_line', 'raw_field_value'] -%}
delete from {{ load_errors }}
where
    table_name = '{{ plan.table_name }}'
    and ({% for uri in plan.uris %}left(filename, {{ uri | length }}) = '{{ uri }}'{{ ' or ' if not loop.last }}{% endfor %});
insert into {{ load_errors }} ({{ columns | join(', ') }}, _loaded_at)
select {{ columns | join(', ') }}, {{ dbt.current_timestamp() }}
from {{ errors_temp }};
drop table {{ errors_temp }}
{%- endmacro %}
