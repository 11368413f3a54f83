{#- The races whose notes an incremental build of race_notes (`notes`, the table as the last build
    left it) rewrites, as a SQL list literal. A note depends on more than its own race:
    - on the rest of its series season (standings after the race, season win counts, weekend
      sweeps, round numbers, the official standings published after a round): every race, before
      or now, of a series season holding a changed session or official standings file
      (int_sessions_changed; a standings file's series season through the ingestion manifest);
    - on the driver's earlier races in the series (career starts and wins, debut): every race since
      the first of those seasons of every driver of a changed session, as the last build resolved
      the session's drivers (meta.dbt_built_drivers) and as they are now;
    - on the names it prints, which are each driver's, team's and series' latest spelling: every
      race with a note whose stored names (driver_name, team_name, series_name) are no longer the
      current ones.
    Evaluated twice per build (the pre-hook's delete and the model's filter), both before the delete. -#}
{% macro race_notes_sessions(notes) -%}
    {%- if not execute -%}
        {{ return("(null)") }}
    {%- endif -%}
    {%- set changed = changed_sessions() -%}
    {%- set sql -%}
        with
        seasons as (
            select series_id, season from {{ notes }} where session_id in {{ changed }}
            union
            select series_id, season from {{ ref('dim_sessions') }} where session_id in {{ changed }}
            union
            select identified.series_id, identified.season
            from {{ source('alkamel', 'ingested_files') }} as files
            join {{ ref('int_sessions_identified') }} as identified
                on identified.season = files.season
                and identified.series_folder is not distinct from files.series_folder
                and (files.series_folder is not null or identified.event_folder = files.event_folder)
            where files.kind = 'official_standings' and files.session_key in {{ changed }}
        ),
        season_races as (
            select session_id, start_at from {{ ref('dim_sessions') }} join seasons using (series_id, season)
            where session_type = 'race'
            union
            select session_id, start_at from {{ notes }} join seasons using (series_id, season)
        ),
        moved_drivers as (
            {{ changed_drivers_sql(changed) }}
        ),
        career_races as (
            select bridge.session_id
            from {{ ref('bridge_session_result_drivers') }} as bridge
            join {{ ref('dim_sessions') }} as sessions on sessions.session_id = bridge.session_id
            where sessions.session_type = 'race'
              and bridge.driver_id in (select driver_id from moved_drivers)
              and sessions.start_at >= (select min(start_at) from season_races)
        ),
        renamed as (
            select notes.session_id
            from {{ notes }} as notes
            {{ race_notes_name_joins('notes') }}
            where notes.driver_name is distinct from drivers.full_name
               or notes.team_name is distinct from teams.team_name
               or notes.series_name is distinct from series.series_name
        )
        select session_id from season_races
        union
        select session_id from career_races
        union
        select session_id from renamed
    {%- endset -%}
    {{ return(sql_key_list(run_query(sql).columns[0].values())) }}
{%- endmacro %}


{#- The names a note prints, joined to a relation `alias` with session_id, car_number, driver_id and
    series_id: the driver's (drivers.full_name), the team of the car in that race (teams.team_name)
    and the series' (series.series_name). One definition for the model and its rewrite scope. -#}
{% macro race_notes_name_joins(alias) -%}
    left join {{ ref('dim_drivers') }} as drivers on drivers.driver_id = {{ alias }}.driver_id
    left join {{ ref('fct_session_results') }} as car_results
        on car_results.session_id = {{ alias }}.session_id and car_results.car_number = {{ alias }}.car_number
    left join {{ ref('dim_teams') }} as teams on teams.team_id = car_results.team_id
    left join {{ ref('dim_series') }} as series on series.series_id = {{ alias }}.series_id
{%- endmacro %}
