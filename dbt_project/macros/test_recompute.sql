{#-
  Independent recomputations for the singular tests (issue 26): each starts from the staging views
  of the files (the classification as delivered), the seeds and the session dimension, and never
  from the intermediate models that compute the same thing, so that a test compares two derivations
  instead of restating one. The rules are those of alkamel.md and the seeds:
  - class: the delivered CLASS through the class_aliases seed; status through status_aliases
    (case-insensitive), a qualifying/practice row without STATUS being a non-starter when it has
    neither a time nor a lap;
  - position in class: among the cars of the class with an overall position that started, the
    number of cars at or ahead of it in the overall order (a count, not a row_number());
  - race points: the points_scales row of the class (else the '*' row) for the class position;
    the points_systems row of the class (else '*') for the pole bonus (class pole: first starter
    of the class on the race's grid report, else in the event's last qualifying before the race),
    the fastest-lap bonus, non-starter points and drops; disqualified cars score no position points.
-#}

{% macro recomputed_class_positions() -%}
    with
    class_aliases as (select alias, class_name from {{ ref('class_aliases') }}),
    status_aliases as (select lower(alias) as alias, status from {{ ref('status_aliases') }}),
    delivered as (
        select session_key as session_id, car_number, finish_position, best_lap_ms, laps, status_delivered, class_delivered
        from {{ ref('stg_alkamel__race_results') }}
        union all
        select session_key, car_number, finish_position, best_lap_ms, laps, status_delivered, class_delivered
        from {{ ref('stg_alkamel__classifications') }}
    ),
    typed as (
        select
            delivered.*,
            coalesce(class_aliases.class_name, delivered.class_delivered) as class_name,
            case
                when delivered.status_delivered is not null then status_aliases.status
                when delivered.best_lap_ms is null and coalesce(delivered.laps, 0) = 0 then 'not_started'
                else 'classified'
            end as status
        from delivered
        left join class_aliases on class_aliases.alias = delivered.class_delivered
        left join status_aliases on status_aliases.alias = lower(delivered.status_delivered)
    ),
    counted as (
        select session_id, class_name, finish_position from typed
        where finish_position is not null and status <> 'not_started'
    )
    select
        typed.*,
        case when typed.finish_position is not null and typed.status <> 'not_started' then (
            select count(*) from counted
            where counted.session_id = typed.session_id
              and counted.class_name is not distinct from typed.class_name
              and counted.finish_position <= typed.finish_position
        ) end as class_position
    from typed
{%- endmacro %}


{% macro recomputed_race_points() -%}
    with
    positions as ({{ recomputed_class_positions() }}),
    sessions as (select * from {{ ref('dim_sessions') }}),
    season_races as (
        select series_id, season, max(race_number_in_season) as last_race_number
        from sessions where session_type = 'race' group by all
    ),
    race as (
        select positions.*, sessions.series_id, sessions.season, sessions.event_id, sessions.start_at,
               sessions.race_number_in_season as race_number, season_races.last_race_number
        from positions
        join sessions on sessions.session_id = positions.session_id and sessions.session_type = 'race'
        join season_races on season_races.series_id = sessions.series_id and season_races.season = sessions.season
    ),
    grid_report as (
        select session_key as session_id, car_number, grid_position from {{ ref('stg_alkamel__grids') }}
        where car_number is not null and car_number <> ''
    ),
    last_qualifying as (
        select races.session_id, arg_max(qualifying.session_id, qualifying.start_at) as qualifying_id
        from (select distinct session_id, event_id, start_at from race) as races
        join sessions as qualifying
            on qualifying.event_id = races.event_id and qualifying.session_type = 'qualifying'
            and qualifying.start_at <= races.start_at
        group by all
    ),
    pole as (
        -- per race and class: the starter first on the grid report, else first in the last qualifying
        select race.session_id, race.class_name,
               case when bool_or(grid_report.session_id is not null) then
                   arg_min(race.car_number, grid_report.grid_position) filter (where grid_report.grid_position is not null)
               else
                   arg_min(race.car_number, struct_pack(p := coalesce(qualifying.finish_position, 2147483647), c := race.car_number))
                       filter (where last_qualifying.qualifying_id is not null)
               end as pole_car
        from race
        left join grid_report on grid_report.session_id = race.session_id and grid_report.car_number = race.car_number
        left join last_qualifying on last_qualifying.session_id = race.session_id
        left join positions as qualifying
            on qualifying.session_id = last_qualifying.qualifying_id and qualifying.car_number = race.car_number
        where race.status <> 'not_started'
          and (grid_report.session_id is not null
               or not exists (select 1 from grid_report g where g.session_id = race.session_id))
        group by all
    ),
    fastest as (
        select session_id, class_name, min(best_lap_ms) as class_fastest_lap_ms
        from race where status <> 'not_started' group by all
    ),
    systems as (select * from {{ ref('points_systems') }}),
    scales as (select * from {{ ref('points_scales') }}),
    scored as (
        select
            race.*,
            coalesce(own_system.series_id, any_system.series_id) is not null as has_points_system,
            coalesce(own_system.pole_bonus, any_system.pole_bonus, 0) as pole_bonus,
            coalesce(own_system.fastest_lap_bonus, any_system.fastest_lap_bonus, 0) as fastest_lap_bonus,
            coalesce(own_system.drop_lowest, any_system.drop_lowest, 0) as drop_lowest,
            coalesce(own_system.undroppable_last_races, any_system.undroppable_last_races, 0) as undroppable_last_races,
            coalesce(own_system.non_starter_points, any_system.non_starter_points, 0) as non_starter_points,
            coalesce(own_scale.points, any_scale.points, 0) as position_points,
            pole.pole_car = race.car_number as took_pole,
            race.best_lap_ms = fastest.class_fastest_lap_ms as set_fastest_lap
        from race
        left join systems as own_system
            on own_system.series_id = race.series_id and race.season between own_system.season_from and own_system.season_to
            and own_system.class_name = race.class_name
        left join systems as any_system
            on any_system.series_id = race.series_id and race.season between any_system.season_from and any_system.season_to
            and any_system.class_name = '*'
        left join scales as own_scale
            on own_scale.series_id = race.series_id and race.season between own_scale.season_from and own_scale.season_to
            and own_scale.class_name = race.class_name
            and race.class_position between own_scale.position_from and coalesce(own_scale.position_to, race.class_position)
        left join scales as any_scale
            on any_scale.series_id = race.series_id and race.season between any_scale.season_from and any_scale.season_to
            and any_scale.class_name = '*'
            and race.class_position between any_scale.position_from and coalesce(any_scale.position_to, race.class_position)
        left join pole on pole.session_id = race.session_id and pole.class_name is not distinct from race.class_name
        left join fastest on fastest.session_id = race.session_id and fastest.class_name is not distinct from race.class_name
    )
    select
        scored.*,
        case when has_points_system then
            case
                when status = 'not_started' then non_starter_points
                when status = 'disqualified' then 0
                else position_points
            end
            + case when status <> 'not_started' and coalesce(took_pole, false) then pole_bonus else 0 end
            + case when status not in ('not_started', 'disqualified') and coalesce(set_fastest_lap, false) then fastest_lap_bonus else 0 end
        end as points
    from scored
{%- endmacro %}


{#- How many of a competitor's `n` results up to a round are dropped (int_competitor_results_dropped's
    rule, from points_systems): the results beyond the best (season races - drop_lowest), at most drop_lowest. -#}
{% macro results_to_drop(n, drop_lowest, last_race_number) -%}
    least({{ drop_lowest }}, greatest(0, {{ n }} - ({{ last_race_number }} - {{ drop_lowest }})))
{%- endmacro %}
