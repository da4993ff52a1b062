{#-
  The original design's quality check: run a SQL statement and compare its single result with an
  expected value; the test fails (one row describing the mismatch) when they differ, when the
  statement returns no row, or more than one.
    sql:      a query returning one row with one column named `result`. `{model}` is replaced by
              the relation under test.
    expected: the expected value, as a SQL literal (0, 'paid', true, null).
-#}
{% test sql_returns(model, sql, expected) %}

with

actual as (

    {{ sql | replace('{model}', model | string) }}

),

summary as (

    select
        count(*) as row_count,
        min(result) as result
    from actual

)

select
    row_count,
    result,
    {{ expected }} as expected
from summary
where
    row_count <> 1
    {%- if expected | string | lower == 'null' %}
    or result is not null
    {%- else %}
    or result is null
    or result <> {{ expected }}
    {%- endif %}

{% endtest %}
