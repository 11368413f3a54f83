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
        {{ return(sql_key_list(run_query("select distinct session_key from (" ~ everything ~ ") where session_key is not null").columns[0].values())) }}
    {%- endif -%}
    {%- set changed_keys = run_query("select distinct session_key from (" ~ changed_file_sessions_sql(manifest, built_files)
                                     ~ ") where session_key is not null").columns[0].values() | list -%}
    {%- if changed_keys | length == 0 -%}
        {{ return("(null)") }}  {#- no file changed: no name's id can have changed either -#}
    {%- endif -%}
    {%- set changed = sql_key_list(changed_keys) -%}
    {%- set names_sql -%}
        with
        incoming as (
            select {{ driver_name_key() }} as name_key, country,
                   min(imsa_driver_id) as imsa_driver_id
            from {{ model_relation('stg_alkamel__result_drivers') }}
            where session_key in {{ changed }} and imsa_driver_id is not null
            group by grouping sets (({{ driver_name_key() }}), ({{ driver_name_key() }}, country))
        ),
        held as (
            -- each name's (and each name and country's) id now, and from the blocks the build keeps
            select name_key, country,
                   min(delivered_imsa_driver_id) as imsa_driver_id,
                   min(delivered_imsa_driver_id) filter (where session_key not in {{ changed }}) as kept_imsa_driver_id
            from {{ drivers }}
            where delivered_imsa_driver_id is not null
            group by grouping sets ((name_key), (name_key, country))
        )
        -- grouping sets leave country null on the name-only rows: matched as 'is not distinct'
        select coalesce(held.name_key, incoming.name_key) as name_key
        from held full join incoming
            on incoming.name_key = held.name_key and incoming.country is not distinct from held.country
        where coalesce(held.name_key, incoming.name_key) is not null
          and held.imsa_driver_id is distinct from least(held.kept_imsa_driver_id, incoming.imsa_driver_id)
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
