-- Redshift shims for the PostgreSQL-backed harness. Run once per cluster by the harness as the
-- superuser, in the database dbt connects to. Objects Redshift has as system objects live in
-- pg_catalog here too (always on the search path; needs allow_system_table_mods); the harness's
-- own helpers (harness_*) live in public and are always called schema-qualified. Each object says which Redshift feature it stands for
-- and who needs it. Nothing here is part of the product; it only lets dbt-redshift's own SQL and our
-- Redshift SQL run unchanged on PostgreSQL 15.

-- getdate(): Redshift's current date and time (timestamp without time zone, UTC sessions).
-- dbt-redshift's date_function() and dbt.current_timestamp() render it.
create function pg_catalog.getdate() returns timestamp
language sql stable as $$ select statement_timestamp() at time zone 'UTC' $$;

-- (regexp_substr(), which dbt-redshift's column queries use, is built into PostgreSQL 15.)

-- DATEADD(datepart, n, value): Redshift's date arithmetic, returning a timestamp. The proxy rewrites it to the
-- function of its datepart (proxy.py, DATEPART_FUNCTIONS, which also knows Redshift's abbreviations); a datepart
-- with no function here fails, naming it. dbt's dateadd macro (the time spines) and MetricFlow's Redshift SQL
-- (offset and cumulative metrics) render it. Plain SQL functions, so PostgreSQL inlines them into the plan: the
-- cumulative metric's range join calls one per pair of rows.
create function public.harness_dateadd_second(n bigint, value timestamp) returns timestamp
language sql immutable as $$ select value + n * interval '1 second' $$;
create function public.harness_dateadd_minute(n bigint, value timestamp) returns timestamp
language sql immutable as $$ select value + n * interval '1 minute' $$;
create function public.harness_dateadd_hour(n bigint, value timestamp) returns timestamp
language sql immutable as $$ select value + n * interval '1 hour' $$;
create function public.harness_dateadd_day(n bigint, value timestamp) returns timestamp
language sql immutable as $$ select value + n * interval '1 day' $$;
create function public.harness_dateadd_week(n bigint, value timestamp) returns timestamp
language sql immutable as $$ select value + n * interval '1 week' $$;
create function public.harness_dateadd_month(n bigint, value timestamp) returns timestamp
language sql immutable as $$ select value + n * interval '1 month' $$;
create function public.harness_dateadd_quarter(n bigint, value timestamp) returns timestamp
language sql immutable as $$ select value + n * interval '3 months' $$;
create function public.harness_dateadd_year(n bigint, value timestamp) returns timestamp
language sql immutable as $$ select value + n * interval '1 year' $$;

-- pg_get_late_binding_view_cols(): Redshift's set-returning function listing the columns of
-- late-binding views; dbt-redshift unions it into column and catalog queries. No such views here.
create function pg_catalog.pg_get_late_binding_view_cols() returns setof record
language sql stable as $$
    select null::name, null::name, null::name, null::varchar, null::int where false
$$;

-- svv_external_columns: Spectrum external table columns (pg_catalog-qualified in
-- dbt-redshift's get_columns_in_relation). No external tables here: empty, Redshift's columns.
create view pg_catalog.svv_external_columns as
select
    null::varchar(128) as schemaname,
    null::varchar(128) as tablename,
    null::varchar(128) as columnname,
    null::varchar(128) as external_type,
    null::int as columnnum,
    null::int as part_key,
    null::varchar(3) as is_nullable
where false;
grant select on pg_catalog.svv_external_columns to public;

-- svv_table_info: per-table storage statistics; dbt-redshift's catalog (docs generate) joins it
-- when the user can select from it. Redshift's column names, values derived from pg_class
-- (row estimate) and the physical clauses the proxy dropped are not known: null.
create view pg_catalog.svv_table_info as
select
    current_database()::varchar(128) as database,
    n.nspname::varchar(128) as schema,
    c.oid::int as table_id,
    c.relname::varchar(128) as "table",
    'N'::varchar(3) as encoded,
    null::varchar(43) as diststyle,
    null::varchar(128) as sortkey1,
    null::int as max_varchar,
    null::varchar(32) as sortkey1_enc,
    null::int as sortkey_num,
    (pg_total_relation_size(c.oid) / 1048576)::bigint as size,
    null::numeric(10, 4) as pct_used,
    null::bigint as empty,
    null::numeric(5, 2) as unsorted,
    null::numeric(5, 2) as stats_off,
    greatest(c.reltuples, 0)::numeric(38, 0) as tbl_rows,
    null::numeric(19, 2) as skew_sortkey1,
    null::numeric(19, 2) as skew_rows,
    null::numeric(38, 0) as estimated_visible_rows,
    null::varchar(128) as risk_event,
    null::numeric(12, 2) as vacuum_sort_benefit
from pg_class as c
inner join pg_namespace as n on c.relnamespace = n.oid
where c.relkind = 'r' and n.nspname not in ('pg_catalog', 'information_schema') and n.nspname not like 'pg_temp%';
grant select on pg_catalog.svv_table_info to public;

-- stl_load_errors: Redshift's log of rejected COPY lines (columns and char types as in Redshift,
-- so readers trim() like on Redshift). Difference: here it is an ordinary table, so rows written
-- by a COPY whose transaction fails roll back with it; Redshift keeps them.
create sequence public.harness_query_id start 1000;
create table pg_catalog.stl_load_errors (
    userid int,
    slice int,
    tbl int,
    starttime timestamp,
    session int,
    query int,
    filename char(256),
    line_number bigint,
    colname char(127),
    type char(10),
    col_length char(10),
    position int,
    raw_line char(1024),
    raw_field_value char(1024),
    err_code int,
    err_reason char(512),  -- Redshift: char(100); wider here so the contract's reasons are kept whole
    is_partial int,
    start_offset bigint,
    copy_job_id bigint
);
grant select, insert on pg_catalog.stl_load_errors to public;
grant usage on sequence public.harness_query_id to public;

-- SYS monitoring views, which Redshift keeps on provisioned clusters and Serverless workgroups alike
-- (AWS recommends them over STL, which has nothing of Serverless). Columns as documented (SYS_LOAD_HISTORY
-- abridged). Their query_id is not STL's query number (AWS: "not the same identifier"): here it is
-- offset by 10^9, so SQL that ties the two views with pg_last_copy_id() finds nothing, as on Redshift.
-- sys_load_error_detail reads the rows harness_copy() writes to stl_load_errors; it is a view owned by
-- the superuser, so it still answers when Serverless mode revokes STL from the users.
create view pg_catalog.sys_load_error_detail as
select
    userid as user_id,
    query::bigint + 1000000000 as query_id,
    null::bigint as transaction_id,
    session as session_id,
    current_database()::char(64) as database_name,
    tbl as table_id,
    starttime as start_time,
    filename as file_name,
    line_number,
    colname as column_name,
    type as column_type,
    col_length as column_length,
    position,
    err_code as error_code,
    err_reason as error_message
from pg_catalog.stl_load_errors;
grant select on pg_catalog.sys_load_error_detail to public;
create table pg_catalog.sys_load_history (
    user_id int,
    query_id bigint,
    transaction_id bigint,
    session_id int,
    database_name text,
    status text,
    table_name text,
    start_time timestamp,
    end_time timestamp,
    data_source text,
    file_format text,
    loaded_rows bigint,
    error_count bigint
);
grant select, insert on pg_catalog.sys_load_history to public;

-- pg_last_copy_id(): query ID of the session's latest COPY (Redshift); harness_copy() records it.
create function pg_catalog.pg_last_copy_id() returns int
language sql stable as $$ select coalesce(nullif(current_setting('harness.last_copy_id', true), ''), '-1')::int $$;

-- harness_raise(): how the proxy fails a statement it cannot run, with Redshift's message.
create function public.harness_raise(message text, detail text) returns void
language plpgsql as $$
begin
    raise exception using message = message, detail = coalesce(detail, ''), errcode = 'XX000';
end
$$;

-- harness_convert(): one JSON value → the text of a value of the column's type, as Redshift COPY
-- converts it, or a load error (code, reason). Called per value by harness_copy(). Codes are
-- Redshift's; reasons are worded as the project's load error contract
-- (macros/copy_json/sparkify_load_error_contract.sql) so both engines write identical rejections:
-- values in reasons are ASCII (other characters as '.'), cut to 100 characters.
create function public.harness_convert(
    val text, type_name text, char_length int, options jsonb,
    out converted text, out err_code int, out err_reason text
)
language plpgsql immutable as $$
declare
    kind text;
    shown text := left(regexp_replace(val, '[^\x01-\x7F]', '.', 'g'), 100);
    bad_pos int;
    fmt text;
begin
    converted := val;
    if val is null then
        return;
    end if;
    if type_name in ('character varying', 'character', 'text') then
        if (options ->> 'emptyasnull')::boolean and val = '' then
            converted := null;
            return;
        end if;
        if (options ->> 'blanksasnull')::boolean and trim(val) = '' then
            converted := null;
            return;
        end if;
        char_length := coalesce(char_length, 256);  -- Redshift: varchar/char/text without a length is 256 bytes
        if octet_length(val) > char_length then
            if not (options ->> 'truncatecolumns')::boolean then
                err_code := 1204;
                err_reason := 'String length exceeds DDL length';
                return;
            end if;
            -- VARCHAR lengths are bytes: keep the longest prefix of whole characters that fits.
            converted := left(val, char_length);
            while octet_length(converted) > char_length loop
                converted := left(converted, length(converted) - 1);
            end loop;
        end if;
        return;
    end if;
    -- An empty or blank value loads as NULL into every other type.
    if trim(val) = '' then
        converted := null;
        return;
    end if;
    if type_name in ('smallint', 'integer', 'bigint') then
        kind := case type_name when 'smallint' then 'Short' when 'integer' then 'Integer' else 'Long' end;
        if val !~ '^\s*[+-]?[0-9]+\s*$' then
            bad_pos := length(substring(val from '^\s*[+-]?[0-9]*'));
            err_code := 1207;
            err_reason := format('Invalid digit, Value ''%s'', Pos %s, Type: %s',
                regexp_replace(substr(val, bad_pos + 1, 1), '[^\x01-\x7F]', '.', 'g'), bad_pos, kind);
            return;
        end if;
        converted := trim(val);
        if (type_name = 'smallint' and converted::numeric not between -32768 and 32767)
           or (type_name = 'integer' and converted::numeric not between -2147483648 and 2147483647)
           or (type_name = 'bigint' and converted::numeric not between -9223372036854775808 and 9223372036854775807) then
            converted := null;
            err_code := 1222;
            err_reason := format('Overflow, Value ''%s'', Type: %s', shown, kind);
        end if;
        return;
    end if;
    if type_name in ('double precision', 'real') then
        kind := case type_name when 'real' then 'Float' else 'Double' end;
        if val !~ '^\s*[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?\s*$' then
            err_code := 1208;
            err_reason := format('Invalid float format, Value ''%s'', Type: %s', shown, kind);
            return;
        end if;
        converted := trim(val);
        begin
            perform case type_name when 'real' then converted::real::float8 else converted::float8 end;
        exception when numeric_value_out_of_range then
            converted := null;
            err_code := 1204;
            err_reason := format('Out of range, Value ''%s'', Type: %s', shown, kind);
        end;
        return;
    end if;
    if type_name like 'numeric%' then
        if val !~* '^\s*[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)(e[+-]?[0-9]+)?\s*$' then
            err_code := 1209;
            err_reason := format('Invalid digit, Value ''%s'', Type: Decimal', shown);
        end if;
        return;
    end if;
    if type_name = 'boolean' then
        if lower(trim(val)) not in ('true', 'false', 't', 'f', '1', '0', 'yes', 'no', 'y', 'n') then
            err_code := 1210;
            err_reason := format('Invalid boolean, Value ''%s''', shown);
        end if;
        return;
    end if;
    if type_name like 'timestamp%' or type_name = 'date' then
        fmt := lower(coalesce(nullif(options ->> case when type_name = 'date' then 'dateformat' else 'timeformat' end, ''), 'auto'));
        begin
            if fmt = 'epochsecs' then
                converted := (to_timestamp(val::numeric) at time zone 'UTC')::text;
            elsif fmt = 'epochmillisecs' then
                converted := (to_timestamp(val::numeric / 1000) at time zone 'UTC')::text;
            elsif fmt = 'auto' then
                converted := val::timestamp::text;
            else
                converted := to_timestamp(val, options ->> case when type_name = 'date' then 'dateformat' else 'timeformat' end)::timestamp::text;
            end if;
        exception when others then
            converted := null;
            err_code := case when type_name = 'date' then 1205 else 1206 end;
            err_reason := format('Invalid %s format or value [%s]', case when type_name = 'date' then 'date' else 'timestamp' end, fmt);
        end;
        return;
    end if;
    -- super and anything else: loaded as the JSON text.
end
$$;

-- harness_copy(): the load half of an emulated COPY (the proxy did the S3 half: listing, reading,
-- JSON parsing, key mapping). Converts every value per column type and COPY options, writes each
-- rejected line to stl_load_errors, fails the whole COPY past MAXERROR (Redshift's message, with the
-- first error's file and line in DETAIL), else inserts the good rows in file/line order.
create function public.harness_copy(payload jsonb) returns bigint
language plpgsql as $$
declare
    target regclass := to_regclass(payload ->> 'table');
    options jsonb := payload -> 'options';
    query_id int := nextval('public.harness_query_id');
    col_names text[];
    col_types text[];
    col_lengths int[];
    rec jsonb;
    vals text[];
    conv record;
    good bigint := 0;
    rejected int := 0;
    first_error text;
    i int;
    ok boolean;
    insert_sql text;
begin
    if target is null then
        raise exception using message = format('relation "%s" does not exist', payload ->> 'table'), errcode = '42P01';
    end if;
    perform set_config('harness.last_copy_id', query_id::text, false);
    select
        array_agg(a.attname::text order by c.ord),
        array_agg(format_type(a.atttypid, null) order by c.ord),
        array_agg(case when a.atttypid in (1042, 1043) and a.atttypmod > 4 then a.atttypmod - 4 end order by c.ord)
    into col_names, col_types, col_lengths
    from jsonb_array_elements_text(payload -> 'columns') with ordinality as c(name, ord)
    left join pg_attribute as a on a.attrelid = target and a.attname = c.name and not a.attisdropped;
    for i in 1 .. coalesce(array_length(col_types, 1), 0) loop
        if col_types[i] is null then
            raise exception using message = format('column "%s" of relation "%s" does not exist',
                payload -> 'columns' ->> (i - 1), payload ->> 'table'), errcode = '42703';
        end if;
    end loop;

    create temp table if not exists harness_copy_rows (ord bigint, vals text[]);
    truncate harness_copy_rows;

    -- Lines the proxy could not parse.
    for rec in select * from jsonb_array_elements(payload -> 'errors') loop
        rejected := rejected + 1;
        insert into pg_catalog.stl_load_errors (userid, slice, tbl, starttime, session, query, filename, line_number,
            colname, type, col_length, position, raw_line, raw_field_value, err_code, err_reason, is_partial)
        values (0, 0, target::oid::int, pg_catalog.getdate(), pg_backend_pid(), query_id,
            left(payload -> 'files' ->> (rec ->> 0)::int, 256), (rec ->> 1)::bigint, '', '', '', 0,
            left(rec ->> 2, 1024), '', (rec ->> 3)::int, left(rec ->> 4, 512), 0);
        first_error := coalesce(first_error, format('error: %s; code: %s; file: %s; line: %s; raw_line: %s',
            rec ->> 4, rec ->> 3, payload -> 'files' ->> (rec ->> 0)::int, rec ->> 1, left(rec ->> 2, 200)));
    end loop;

    -- Records: convert each value; the first failing column rejects the line.
    for rec in select * from jsonb_array_elements(payload -> 'records') loop
        select array_agg(v order by o) into vals from jsonb_array_elements_text(rec -> 3) with ordinality as t(v, o);
        ok := true;
        for i in 1 .. coalesce(array_length(col_names, 1), 0) loop
            select * into conv from public.harness_convert(vals[i], col_types[i], col_lengths[i], options);
            if conv.err_code is not null then
                ok := false;
                rejected := rejected + 1;
                insert into pg_catalog.stl_load_errors (userid, slice, tbl, starttime, session, query, filename,
                    line_number, colname, type, col_length, position, raw_line, raw_field_value, err_code,
                    err_reason, is_partial)
                values (0, 0, target::oid::int, pg_catalog.getdate(), pg_backend_pid(), query_id,
                    left(payload -> 'files' ->> (rec ->> 0)::int, 256), (rec ->> 1)::bigint, col_names[i],
                    left(col_types[i], 10), coalesce(col_lengths[i]::text, ''), 0, left(rec ->> 2, 1024),
                    left(vals[i], 1024), conv.err_code, left(conv.err_reason, 512), 0);
                first_error := coalesce(first_error, format('error: %s; code: %s; column: %s; file: %s; line: %s; raw_line: %s',
                    conv.err_reason, conv.err_code, col_names[i], payload -> 'files' ->> (rec ->> 0)::int,
                    rec ->> 1, left(rec ->> 2, 200)));
                exit;
            end if;
            vals[i] := conv.converted;
        end loop;
        if ok then
            good := good + 1;
            insert into harness_copy_rows values (good, vals);
        end if;
    end loop;

    if rejected > (options ->> 'maxerror')::int then
        raise exception using
            message = format('Load into table ''%s'' failed.  Check ''stl_load_errors'' system table for details.', payload ->> 'table'),
            detail = format('%s rejected line(s), MAXERROR %s. First: %s', rejected, options ->> 'maxerror', first_error),
            errcode = 'XX000';
    end if;

    select format('insert into %s (%s) select %s from harness_copy_rows order by ord', target,
        string_agg(quote_ident(name), ', ' order by ord),
        string_agg(format('vals[%s]::%s', ord, typ), ', ' order by ord))
    into insert_sql
    from unnest(col_names, col_types) with ordinality as t(name, typ, ord);
    execute insert_sql;
    truncate harness_copy_rows;

    insert into pg_catalog.sys_load_history (user_id, query_id, transaction_id, session_id, database_name, status,
        table_name, start_time, end_time, file_format, loaded_rows, error_count)
    values (0, query_id::bigint + 1000000000, txid_current(), pg_backend_pid(), current_database(), 'completed',
        payload ->> 'table', pg_catalog.getdate(), pg_catalog.getdate(), 'JSON', good, rejected);

    raise info 'Load into table ''%'' completed, % record(s) loaded successfully.', payload ->> 'table', good;
    if rejected > 0 then
        raise info '% record(s) could not be loaded.  Check ''stl_load_errors'' system table for details.', rejected;
    end if;
    return good;
end
$$;
