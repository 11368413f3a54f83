{#-
  Class positions and grid positions for every car of every session.
  - Class position: rank within the class by the overall finishing order; non-starters and cars
    without an overall position are not counted.
  - Grid: the race's grid report when there is one; otherwise the order of the event's last
    qualifying session before the race (cars that did not qualify start behind, by car number).
  An incremental table (macros/incremental.sql): a build rebuilds the series seasons that hold a
  changed session (a race's grid may come from another session of its event), and the season
  models read every session's ranks from here instead of ranking all of history again.
-#}
{{ incremental_by_session('session_key', whole_seasons=true) }}
-- depends_on: {{ ref('int_sessions_changed') }}
{% if is_incremental() %}{% set scope = changed_season_sessions(this, 'session_key') %}{% endif %}
with

results as (
    select * from {{ ref('int_session_results_unioned') }}
    {% if is_incremental() %}where session_key in {{ scope }}{% endif %}
),

sessions as (
    select * from {{ ref('int_sessions_identified') }}
),

grids as (
    select * from {{ ref('stg_alkamel__grids') }}
    {% if is_incremental() %}where session_key in {{ scope }}{% endif %}
),

team_keys as (
    -- The name key of each distinct spelling, not of every row (a regular expression per row costs seconds).
    select team_name, {{ name_key('team_name') }} as team_key
    from (select distinct team_name from results where team_name is not null) as spellings
),

class_ranked as (
    select
        results.*,
        case
            when results.status <> 'not_started' and results.finish_position is not null
            then row_number() over (
                partition by results.session_key, results.class_name,
                    (results.status <> 'not_started' and results.finish_position is not null)
                order by results.finish_position
            )
        end as class_position
    from results
),

race_sessions as (
    select * from sessions where session_type = 'race'
),

qualifying_for_race as (
    -- The latest qualifying session of the same event that started before the race.
    select
        race_sessions.session_id as race_session_id,
        qualifying.session_id as qualifying_session_id,
        row_number() over (
            partition by race_sessions.session_id order by qualifying.start_at desc nulls last
        ) as recency
    from race_sessions
    join sessions as qualifying
        on qualifying.event_id = race_sessions.event_id
        and qualifying.session_type = 'qualifying'
        and qualifying.start_at <= race_sessions.start_at
),

grid_from_report as (
    select session_key, car_number, grid_position from grids
),

grid_from_qualifying as (
    select
        race_results.session_key,
        race_results.car_number,
        row_number() over (
            partition by race_results.session_key
            order by qualifying_results.finish_position nulls last, race_results.car_number
        ) as grid_position
    from results as race_results
    join qualifying_for_race
        on qualifying_for_race.race_session_id = race_results.session_key and qualifying_for_race.recency = 1
    left join results as qualifying_results
        on qualifying_results.session_key = qualifying_for_race.qualifying_session_id
        and qualifying_results.car_number = race_results.car_number
    where race_results.status <> 'not_started'
        and race_results.session_key not in (select grid_from_report.session_key from grid_from_report)
),

grid as (
    select session_key, car_number, grid_position, 'grid report' as grid_source from grid_from_report
    union all
    select session_key, car_number, grid_position, 'qualifying order' as grid_source from grid_from_qualifying
),

with_grid as (
    select
        class_ranked.*,
        grid.grid_position,
        grid.grid_source
    from class_ranked
    left join sessions on sessions.session_id = class_ranked.session_key
    left join grid
        on grid.session_key = class_ranked.session_key
        and grid.car_number = class_ranked.car_number
        and sessions.session_type = 'race'
),

final as (
    select
        with_grid.*,
        case when grid_position is not null and status <> 'not_started' then
            row_number() over (
                partition by session_key, class_name, (grid_position is not null and status <> 'not_started')
                order by grid_position
            )
        end as class_grid_position
    from with_grid
)

select
    final.*,
    sessions.series_id,
    sessions.season,
    sessions.event_id,
    sessions.session_type,
    -- The warehouse's keys for car entries, classes and teams (one place for their definitions).
    {{ surrogate_key(['sessions.series_id', 'sessions.season', 'final.car_number', 'team_keys.team_key']) }} as car_id,
    {{ surrogate_key(['sessions.series_id', 'final.class_name']) }} as class_id,
    md5(team_keys.team_key) as team_id,
    final.grid_position - final.finish_position as positions_gained,
    final.class_grid_position - final.class_position as class_positions_gained
from final
join sessions on sessions.session_id = final.session_key
left join team_keys on team_keys.team_name = final.team_name
{{ whole_seasons_order() }}
