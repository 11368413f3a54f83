{#-
  One row per competitor per race, for the two championships a series keeps: drivers
  (through the result's driver blocks) and car entries (team + car number). Standings,
  drops and countback are computed once over this shape for both.
-#}
with

scored as (
    select * from {{ ref('int_race_results_scored') }}
),

sessions as (
    select session_id, race_number_in_season, start_at from {{ ref('dim_sessions') }}
),

drivers as (
    select * from {{ ref('bridge_session_result_drivers') }}
),

season_races as (
    select series_id, season, max(race_number_in_season) as last_race_number
    from {{ ref('dim_sessions') }}
    where session_type = 'race'
    group by series_id, season
),

car_rows as (
    select
        scored.session_key as session_id,
        scored.car_number,
        scored.series_id,
        scored.season,
        scored.class_id,
        scored.team_id,
        scored.car_id,
        sessions.race_number_in_season as race_number,
        sessions.start_at,
        season_races.last_race_number,
        scored.status,
        scored.status <> 'not_started' as started,
        scored.class_position,
        scored.positions_gained,
        scored.took_pole,
        scored.set_fastest_lap,
        scored.has_points_system,
        scored.points,
        scored.drop_lowest,
        scored.undroppable_last_races
    from scored
    join sessions on sessions.session_id = scored.session_key
    join season_races on season_races.series_id = scored.series_id and season_races.season = scored.season
),

final as (
    select 'car' as competitor_type, car_id as competitor_id, cast(null as varchar) as driver_id, car_rows.*
    from car_rows

    union all

    select 'driver' as competitor_type, drivers.driver_id as competitor_id, drivers.driver_id, car_rows.*
    from car_rows
    join drivers on drivers.session_id = car_rows.session_id and drivers.car_number = car_rows.car_number
)

select * from final
