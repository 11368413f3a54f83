{#-
  Incremental builds of the large tables (fct_laps, fct_weather, fct_session_results,
  bridge_session_result_drivers and the intermediate int_session_results_unioned,
  int_session_results_ranked, int_laps_summarized): only the sessions whose inputs changed since the
  last complete, successful build are rebuilt (with the rest of their series season where a row
  depends on it). Every other table is rebuilt whole: dimensions, standings, driver identity
  (int_drivers_identified, which int_sessions_changed reads), race_notes, driver_career_stats.

  The last build is recorded by the orchestration (orchestration/warehouse/build_state.py) in the warehouse,
  and models/intermediate/int_sessions_changed.sql compares it with the inputs once per run:
    meta.dbt_built_files    the ingestion manifest (path, sha256, status, session) it was built from;
    meta.dbt_built_drivers  the driver identity of every car's driver block it resolved.
  A session changed when one of its files was added, changed, superseded, removed or restored, or
  when a driver of it now resolves to another driver_id (identity spans sessions: a name first
  seen without an IMSA id takes the id once a later file carries it). Without a record (a first
  build, a warehouse made by hand) every session counts as changed. A change to the dbt project
  itself makes the orchestration run `dbt build --full-refresh`.
-#}

{#- The config of a table built incrementally by session: an append whose pre-hook deletes the
    changed sessions' rows, or, with `whole_seasons`, every session of a series season that holds a
    changed session (for rows that depend on the rest of their season). `column` is the table's
    session column; an incremental build's tests check the same sessions the pre-hook rewrites
    (meta.test_scope, read by macros/test_scope.sql). The model still filters its inputs to the
    same sessions and declares `-- depends_on: ref('int_sessions_changed')`; with `whole_seasons`,
    its final select ends with whole_seasons_order(). -#}
{% macro incremental_by_session(column='session_id', whole_seasons=false) -%}
    {%- set changed = "changed_season_sessions(this, '" ~ column ~ "')" if whole_seasons else "changed_sessions()" -%}
    {{ config(
        materialized='incremental',
        incremental_strategy='append',
        on_schema_change='fail',
        pre_hook="{% if is_incremental() %}delete from {{ this }} where " ~ column ~ " in {{ " ~ changed ~ " }}{% endif %}",
        meta={'session_column': column, 'test_scope': 'changed_seasons' if whole_seasons else 'changed_sessions'},
    ) }}
{%- endmacro %}


{#- The physical order of a table built with `whole_seasons`, its final select's `order by`: a
    series season's rows side by side, the latest season last. An incremental build deletes and
    re-inserts whole series seasons, nearly always the current one; with the rows in build order a
    season's rows sit in every row group of the table, and DuckDB's checkpoint then vacuums (rewrites)
    every row group the delete touched: the whole table, each build (docs/decisions.md). In this order
    the delete touches the last row groups only. -#}
{% macro whole_seasons_order() -%}
    order by season, series_id
{%- endmacro %}


{#- Sessions with a file added, changed, superseded, removed or restored: the ingestion manifest
    against the record of the last build (both relations hold path, sha256, status, session_key). -#}
{% macro changed_file_sessions_sql(manifest, built_files) -%}
    select session_key from (
        (select path, sha256, status, session_key from {{ manifest }}
         except select path, sha256, status, session_key from {{ built_files }})
        union all
        (select path, sha256, status, session_key from {{ built_files }}
         except select path, sha256, status, session_key from {{ manifest }})
    ) as file_changes
{%- endmacro %}


{#- The record of the last build, written by the orchestration: meta on DuckDB; on other targets
    <target.schema>_meta (build_meta), as generate_schema_name.sql places the models, out of readers' sight. -#}
{% macro built_state_relation(identifier) -%}
    {%- set schema = 'meta' if target.schema == 'main' else target.schema ~ '_meta' -%}
    {{ return(adapter.get_relation(database=target.database, schema=schema, identifier=identifier)) }}
{%- endmacro %}


{#- The changed session keys as a SQL list literal, `('k1', 'k2')`: a constant filter, which DuckDB
    pushes down through the views' windows (all partitioned by session) to the raw table scans.
    `relation` is int_sessions_changed: a model passes nothing (its ref(), which dbt checks against
    the model's depends_on); a test passes model_relation('int_sessions_changed'), since tests may
    not ref() models they were not parsed with. -#}
{% macro changed_sessions(relation=none) -%}
    {%- if not execute -%}
        {{ return("(null)") }}
    {%- endif -%}
    {%- set changed_relation = relation if relation is not none else ref('int_sessions_changed') -%}
    {{ return(sql_key_list(run_query("select session_id from " ~ changed_relation).columns[0].values())) }}
{%- endmacro %}


{#- For the tables whose rows depend on the rest of their series season (points dropped, grids from
    qualifying): every session of each series season that holds a changed session, before or now.
    `column` is the session column of `relation`. -#}
{% macro changed_season_sessions(relation, column='session_id') -%}
    {%- if not execute -%}
        {{ return("(null)") }}
    {%- endif -%}
    {%- set changed = changed_sessions() -%}
    {%- set sql -%}
        with scope as (
            select series_id, season from {{ relation }} where {{ column }} in {{ changed }}
            union
            select series_id, season from {{ ref('int_sessions_identified') }} where session_id in {{ changed }}
        )
        select session_id from {{ ref('int_sessions_identified') }} join scope using (series_id, season)
        union
        select {{ column }} from {{ relation }} join scope using (series_id, season)
        union
        select session_id from {{ ref('int_sessions_changed') }}
    {%- endset -%}
    {{ return(sql_key_list(run_query(sql).columns[0].values())) }}
{%- endmacro %}


{#- Every session (as it is now) of each series season that holds a changed session, or none (test
    every row) when the series season of a changed session cannot be told. Called from tests
    (macros/test_scope.sql), which may not ref() models they were not parsed with: the relations
    come from the graph. A session whose every file was removed is no longer in
    int_sessions_identified, yet the build rewrote its series season (changed_season_sessions()
    found it in the table's old rows): its season is found through its files in the manifest (which
    keeps removed files), by the season and series folder (or, without a series folder, the event
    folder) of the sessions that remain (issue 26). -#}
{% macro changed_seasons_current_sessions() -%}
    {%- if not execute -%}
        {{ return("(null)") }}
    {%- endif -%}
    {%- set identified = model_relation('int_sessions_identified') -%}
    {%- set sql -%}
        with
        changed as (select session_id from {{ model_relation('int_sessions_changed') }}),
        gone as (select session_id from changed where session_id not in (select session_id from {{ identified }})),
        gone_files as (
            select distinct session_key, season, series_folder, event_folder
            from {{ source_relation('alkamel', 'ingested_files') }}
            where session_key in (select session_id from gone)
        ),
        matched as (
            select distinct gone_files.session_key, identified.series_id, identified.season
            from gone_files
            join {{ identified }} as identified
                on identified.season = gone_files.season
                and (identified.series_folder = gone_files.series_folder
                     or (gone_files.series_folder is null and identified.series_folder is null
                         and identified.event_folder = gone_files.event_folder))
        ),
        scope as (
            select distinct series_id, season from {{ identified }} where session_id in (select session_id from changed)
            union
            select series_id, season from matched
        )
        select session_id, false as unknown from {{ identified }} join scope using (series_id, season)
        union all
        select session_id, true from gone where session_id not in (select session_key from matched)
    {%- endset -%}
    {%- set result = run_query(sql) -%}
    {%- if true in result.columns[1].values() -%}
        {{ return(none) }}
    {%- endif -%}
    {{ return(sql_key_list(result.columns[0].values())) }}
{%- endmacro %}


{#- The sessions whose files changed since the last build, as a SQL list literal, or none when there
    is no record of a last build. Called from tests, which run before int_sessions_changed may
    have been rebuilt: the manifest and the record do not change during a build. -#}
{% macro changed_file_sessions() -%}
    {%- set built_files = built_state_relation('dbt_built_files') -%}
    {%- if not execute or built_files is none -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set sql = changed_file_sessions_sql(source_relation('alkamel', 'ingested_files'), built_files) -%}
    {{ return(sql_key_list(run_query("select distinct session_key from (" ~ sql ~ ") as changed where session_key is not null").columns[0].values())) }}
{%- endmacro %}


{% macro source_relation(source_name, table_name) -%}
    {%- for node in graph.sources.values() if node.source_name == source_name and node.name == table_name -%}
        {{ return(api.Relation.create(database=node.database, schema=node.schema, identifier=node.identifier)) }}
    {%- endfor -%}
    {{ exceptions.raise_compiler_error("no source " ~ source_name ~ "." ~ table_name) }}
{%- endmacro %}


{% macro model_relation(name) -%}
    {%- for node in graph.nodes.values() if node.resource_type == 'model' and node.name == name -%}
        {{ return(api.Relation.create(database=node.database, schema=node.schema, identifier=node.alias)) }}
    {%- endfor -%}
    {{ exceptions.raise_compiler_error("no model named " ~ name) }}
{%- endmacro %}


{#- Keys as a SQL list literal, `('k1', 'k2')`; `(null)` (matches nothing) when there are none. -#}
{% macro sql_key_list(keys) -%}
    {%- if keys | length == 0 -%}
        {{ return("(null)") }}
    {%- endif -%}
    {%- set quoted = [] -%}
    {%- for key in keys -%}
        {%- do quoted.append("'" ~ (key | replace("'", "''")) ~ "'") -%}
    {%- endfor -%}
    {{ return("(" ~ (quoted | join(", ")) ~ ")") }}
{%- endmacro %}
