{#-
  Incremental builds of the large fact tables (fct_laps, fct_weather, fct_session_results): only the
  sessions whose inputs changed since the last complete, successful build are rebuilt.

  The last build is recorded by the orchestration (orchestration/build_state.py) in the warehouse,
  and models/intermediate/int_sessions_changed.sql compares it with the inputs once per run:
    meta.dbt_built_files    the ingestion manifest (path, sha256, status, session) it was built from;
    meta.dbt_built_drivers  the driver identity of every car's driver block it resolved.
  A session changed when one of its files was added, changed, superseded, removed or restored, or
  when a driver of it now resolves to another driver_id (identity spans sessions: a name first
  seen without an IMSA id takes the id once a later file carries it). Without a record (a first
  build, a warehouse made by hand) every session counts as changed. A change to the dbt project
  itself makes the orchestration run `dbt build --full-refresh`.
-#}

{% macro built_state_relation(identifier) -%}
    {{ return(adapter.get_relation(database=target.database, schema='meta', identifier=identifier)) }}
{%- endmacro %}


{#- The changed session keys as a SQL list literal, `('k1', 'k2')`: a constant filter, which DuckDB
    pushes down through the views' windows (all partitioned by session) to the raw table scans. -#}
{% macro changed_sessions() -%}
    {%- if not execute -%}
        {{ return("(null)") }}
    {%- endif -%}
    {%- set keys = run_query("select session_id from " ~ ref('int_sessions_changed')).columns[0].values() -%}
    {%- if keys | length == 0 -%}
        {{ return("(null)") }}
    {%- endif -%}
    {%- set quoted = [] -%}
    {%- for key in keys -%}
        {%- do quoted.append("'" ~ (key | replace("'", "''")) ~ "'") -%}
    {%- endfor -%}
    {{ return("(" ~ (quoted | join(", ")) ~ ")") }}
{%- endmacro %}


{#- For the tables whose rows depend on the rest of their series season (points dropped, grids from
    qualifying): every session of each series season that holds a changed session, before or now. -#}
{% macro changed_season_sessions(relation) -%}
    {%- if not execute -%}
        {{ return("(null)") }}
    {%- endif -%}
    {%- set changed = changed_sessions() -%}
    {%- set sql -%}
        with scope as (
            select series_id, season from {{ relation }} where session_id in {{ changed }}
            union
            select series_id, season from {{ ref('int_sessions_identified') }} where session_id in {{ changed }}
        )
        select session_id from {{ ref('int_sessions_identified') }} join scope using (series_id, season)
        union
        select session_id from {{ relation }} join scope using (series_id, season)
        union
        select session_key from (select unnest([{{ changed[1:-1] }}]) as session_key) where session_key is not null
    {%- endset -%}
    {%- set keys = run_query(sql).columns[0].values() -%}
    {%- if keys | length == 0 -%}
        {{ return("(null)") }}
    {%- endif -%}
    {%- set quoted = [] -%}
    {%- for key in keys -%}
        {%- do quoted.append("'" ~ (key | replace("'", "''")) ~ "'") -%}
    {%- endfor -%}
    {{ return("(" ~ (quoted | join(", ")) ~ ")") }}
{%- endmacro %}
