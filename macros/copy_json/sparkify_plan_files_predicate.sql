{#-
  SQL predicate over load_errors' table_name and filename: true for the rejections of the files a
  load plan reads (filename starts with one of plan.uris, the data_root/key prefixes). Compared
  with left(), not LIKE, where _ is a wildcard. The URIs passed sparkify_settings' allow-lists.
-#}
{% macro sparkify_plan_files_predicate(plan) -%}
(
    table_name = '{{ plan.table_name }}'
    and ({% for uri in plan.uris %}left(filename, {{ uri | length }}) = '{{ uri }}'{{ ' or ' if not loop.last }}{% endfor %})
)
{%- endmacro %}
