{#-
  One row per competitor per round (a scoring race), for the two championships a series keeps:
  drivers (through the race's driver blocks) and car entries (team + car number). Standings,
  drops and countback are computed once over this shape for both.
  - A round's points are the race's points plus the car's qualifying points that count at that race
    (int_session_results_scored: race_points, qualifying_points).
  - A driver entered in the car who did not drive in the race (no time-card lap of theirs, in a race
    with time cards) takes no part in the round: officials give them `did_not_race` and no points.
    So a car's total can differ from its drivers' totals. Unless the car stopped before the driver
    could take over (it ran less than 70% of its class winner's laps, IMSA's classification distance):
    then every driver of the car scores (2022 Long Beach, #9: Campbell never drove, and the officials'
    co-champions Campbell / Jaminet scored alike).
-#}
with

scored as (
    select * from {{ ref('int_session_results_scored') }}
),

sessions as (
    select session_id, race_number_in_season, start_at from {{ ref('dim_sessions') }}
),

drivers as (
    select * from {{ ref('bridge_session_result_drivers') }}
),

laps_driven as (
    select session_id, car_number, driver_id, laps_completed from {{ ref('int_laps_summarized') }}
),

sessions_with_laps as (
    select distinct session_id from laps_driven
),

stopped_early as (
    -- Cars that ran less than 70% of their class winner's laps.
    select session_key as session_id, car_number
    from (
        select session_key, car_number, laps, max(laps) over (partition by session_key, class_name) as class_winner_laps
        from {{ ref('int_session_results_ranked') }}
        where session_type = 'race'
    ) as race_laps
    where coalesce(laps, 0) < 0.7 * class_winner_laps
),

season_races as (
    select series_id, season, max(race_number_in_season) as last_race_number
    from {{ ref('dim_sessions') }}
    where session_type = 'race'
    group by series_id, season
),

qualifying_points as (
    -- The qualifying points of each car, at the race they count at.
    select round_session_id, car_number, class_id, sum(points) as qualifying_points
    from scored
    where points_scale <> 'race'
    group by round_session_id, car_number, class_id
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
        scored.points as race_points,
        case when scored.has_points_system then coalesce(qualifying_points.qualifying_points, 0) end
            as qualifying_points,
        scored.points
            + case when scored.has_points_system then coalesce(qualifying_points.qualifying_points, 0) end as points,
        scored.drop_lowest,
        scored.undroppable_last_races
    from scored
    join sessions on sessions.session_id = scored.session_key
    join season_races on season_races.series_id = scored.series_id and season_races.season = scored.season
    left join qualifying_points
        on qualifying_points.round_session_id = scored.session_key
        and qualifying_points.car_number = scored.car_number
        and qualifying_points.class_id = scored.class_id
    where scored.points_scale = 'race'
),

final as (
    select 'car' as competitor_type, car_id as competitor_id, cast(null as varchar) as driver_id, car_rows.*
    from car_rows

    union all

    select 'driver' as competitor_type, drivers.driver_id as competitor_id, drivers.driver_id, car_rows.*
    from car_rows
    join drivers on drivers.session_id = car_rows.session_id and drivers.car_number = car_rows.car_number
    left join laps_driven
        on laps_driven.session_id = car_rows.session_id
        and laps_driven.car_number = car_rows.car_number
        and laps_driven.driver_id = drivers.driver_id
    left join stopped_early
        on stopped_early.session_id = car_rows.session_id and stopped_early.car_number = car_rows.car_number
    where laps_driven.laps_completed > 0
       or car_rows.session_id not in (select sessions_with_laps.session_id from sessions_with_laps)
       or not car_rows.started
       or stopped_early.car_number is not null
)

select * from final
