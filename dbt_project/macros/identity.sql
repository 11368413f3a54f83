{#- The sessions whose driver blocks an incremental build of int_drivers_identified (`drivers`)
    rewrites, as a SQL list literal (a constant filter, pushed down to the raw scans):
    - every session with a file added, changed, superseded, removed or restored since the last
      complete build (the record of it: meta.dbt_built_files; macros/incremental.sql);
    - every session, already in the table, of a name whose IMSA id (the smallest one delivered
      with the name) is not the same once those sessions are rewritten.
    Without a record of a last build: every session in the table and in the manifest. Evaluated
    twice per build (the pre-hook's delete and the model's filter), both before the delete. -#}
{% macro driver_identity_sessions(drivers) -%}
    {%- if not execute -%}
        {{ return("(null)") }}
    {%- endif -%}
    {%- set manifest = source_relation('alkamel', 'ingested_files') -%}
    {%- set built_files = built_state_relation('dbt_built_files') -%}
    {%- if built_files is none -%}
        {%- set everything = "select session_key from " ~ drivers ~ " union select session_key from " ~ manifest -%}
        {{ return(sql_key_list(run_query("select distinct session_key from (" ~ everything ~ ") as sessions where session_key is not null").columns[0].values())) }}
    {%- endif -%}
    {%- set changed_keys = run_query("select distinct session_key from (" ~ changed_file_sessions_sql(manifest, built_files)
                                     ~ ") as changed where session_key is not null").columns[0].values() | list -%}
    {%- if changed_keys | length == 0 -%}
        {{ return("(null)") }}  {#- no file changed: no name's id can have changed either -#}
    {%- endif -%}
    {%- set changed = sql_key_list(changed_keys) -%}
    {%- set names_sql -%}
        with
        incoming as (
            select {{ driver_name_key() }} as name_key, country, imsa_driver_id
            from {{ model_relation('stg_alkamel__result_drivers') }}
            where session_key in {{ changed }} and imsa_driver_id is not null
        ),
        held as (
            select name_key, country, delivered_imsa_driver_id as imsa_driver_id, session_key
            from {{ drivers }}
            where delivered_imsa_driver_id is not null
        ),
        after as (
            -- the blocks once the changed sessions are rewritten
            select name_key, country, imsa_driver_id from held where session_key not in {{ changed }}
            union all
            select name_key, country, imsa_driver_id from incoming
        ),
        before as (select name_key, country, imsa_driver_id from held),
        chosen as (
            -- each name's (and name and country's) usual id, as int_drivers_identified chooses it, before and after
            select 'before' as side, 'person' as grain, * from ({{ usual_imsa_id('before', ['name_key', 'country']) }}) as ids
            union all select 'after', 'person', * from ({{ usual_imsa_id('after', ['name_key', 'country']) }}) as ids
            union all select 'before', 'name', name_key, null, imsa_driver_id from ({{ usual_imsa_id('before', ['name_key']) }}) as ids
            union all select 'after', 'name', name_key, null, imsa_driver_id from ({{ usual_imsa_id('after', ['name_key']) }}) as ids
        )
        select distinct name_key from (
            select grain, name_key, country from chosen
            group by grain, name_key, country
            having count(distinct imsa_driver_id) filter (where side = 'before') is distinct from
                   count(distinct imsa_driver_id) filter (where side = 'after')
                or min(imsa_driver_id) filter (where side = 'before') is distinct from min(imsa_driver_id) filter (where side = 'after')
        ) as moved
        where name_key is not null
    {%- endset -%}
    {%- set names = run_query(names_sql).columns[0].values() | list -%}
    {%- if names | length == 0 -%}
        {{ return(changed) }}
    {%- endif -%}
    {%- set sessions_sql -%}
        select distinct session_key from {{ drivers }}
        where name_key in {{ sql_key_list(names) }} and session_key not in {{ changed }}
    {%- endset -%}
    {{ return(sql_key_list(changed_keys + (run_query(sessions_sql).columns[0].values() | list))) }}
{%- endmacro %}


{#- The usual IMSA id of each group of `relation` (columns name_key, [country,] imsa_driver_id): the id
    delivered in the most driver blocks of the group, the smallest on a tie. `where` filters the blocks. -#}
{% macro usual_imsa_id(relation, group_columns, where=none) -%}
    select {{ group_columns | join(', ') }}, {{ arg_min('imsa_driver_id', ['-blocks', 'imsa_driver_id']) }} as imsa_driver_id
    from (
        select {{ group_columns | join(', ') }}, imsa_driver_id, count(*) as blocks
        from {{ relation }}
        where imsa_driver_id is not null{% if where %} and {{ where }}{% endif %}
        group by {{ group_columns | join(', ') }}, imsa_driver_id
    ) as counted
    group by {{ group_columns | join(', ') }}
{%- endmacro %}
