{#-
  The endurance cup (IMSA's Michelin Endurance Cup), a championship of its own: per series season
  and class, for car entries and drivers, the points after each endurance race of the season.
  - A car entry scores its checkpoint points (int_endurance_checkpoints_scored); a driver scores the
    car's points of a race they took part in (int_competitor_race_results: a driver entered who did
    not drive scores nothing there).
  - Position: points, equal points share a place (the cup's tie-break is not in our sources).
-#}
with

checkpoints as (
    select * from {{ ref('int_endurance_checkpoints_scored') }}
),

races as (
    select
        session_id,
        dense_rank() over (partition by series_id, season order by start_at, session_id) as round_number
    from {{ ref('dim_sessions') }}
    where session_id in (select checkpoints.session_id from checkpoints)
),

car_rounds as (
    select
        session_id, series_id, season, class_id, car_id, team_id, car_number,
        sum(points) as round_points,
        count(*) filter (where checkpoint_position = 1) as checkpoints_led,
        count(*) as checkpoints_scored
    from checkpoints
    group by session_id, series_id, season, class_id, car_id, team_id, car_number
),

competitor_rounds as (
    select 'car' as competitor_type, car_id as competitor_id, cast(null as varchar) as driver_id, car_rounds.*
    from car_rounds

    union all

    select 'driver', took_part.driver_id as competitor_id, took_part.driver_id, car_rounds.*
    from car_rounds
    join {{ ref('int_competitor_race_results') }} as took_part
        on took_part.competitor_type = 'driver'
        and took_part.session_id = car_rounds.session_id
        and took_part.car_number = car_rounds.car_number
),

season_rounds as (
    select distinct car_rounds.series_id, car_rounds.season, races.round_number, races.session_id
    from car_rounds
    join races using (session_id)
),

competitors as (
    select
        competitor_rounds.competitor_type,
        competitor_rounds.competitor_id,
        {{ any_value('competitor_rounds.driver_id') }} as driver_id,
        competitor_rounds.series_id,
        competitor_rounds.season,
        competitor_rounds.class_id,
        min(races.round_number) as first_round
    from competitor_rounds
    join races using (session_id)
    group by
        competitor_rounds.competitor_type, competitor_rounds.competitor_id, competitor_rounds.series_id,
        competitor_rounds.season, competitor_rounds.class_id
),

cumulative as (
    -- Every competitor after every endurance round from its first one on.
    select
        competitors.competitor_type,
        competitors.competitor_id,
        competitors.driver_id,
        competitors.series_id,
        competitors.season,
        competitors.class_id,
        season_rounds.round_number,
        season_rounds.session_id as after_session_id,
        {%- set latest = ['rounds_so_far.round_number', 'competitor_rounds.car_number'] %}
        {{ arg_max('competitor_rounds.car_id', latest) }} as car_id,
        {{ arg_max('competitor_rounds.team_id', latest) }} as team_id,
        {{ arg_max('competitor_rounds.car_number', latest) }} as car_number,
        coalesce(
            sum(competitor_rounds.round_points) filter (where rounds_so_far.session_id = season_rounds.session_id), 0
        )
            as round_points,
        sum(competitor_rounds.round_points) as points,
        sum(competitor_rounds.checkpoints_led) as checkpoints_led,
        sum(competitor_rounds.checkpoints_scored) as checkpoints_scored
    from competitors
    join season_rounds
        on season_rounds.series_id = competitors.series_id
        and season_rounds.season = competitors.season
        and season_rounds.round_number >= competitors.first_round
    join competitor_rounds
        on competitor_rounds.competitor_type = competitors.competitor_type
        and competitor_rounds.competitor_id = competitors.competitor_id
        and competitor_rounds.class_id = competitors.class_id
    join races as rounds_so_far
        on rounds_so_far.session_id = competitor_rounds.session_id
        and rounds_so_far.round_number <= season_rounds.round_number
    where competitor_rounds.series_id = competitors.series_id and competitor_rounds.season = competitors.season
    group by
        competitors.competitor_type, competitors.competitor_id, competitors.driver_id, competitors.series_id,
        competitors.season, competitors.class_id, season_rounds.round_number, season_rounds.session_id
),

final as (
    select
        series_id,
        season,
        'endurance' as cup,
        class_id,
        competitor_type,
        competitor_id,
        driver_id,
        car_id,
        team_id,
        car_number,
        round_number,
        after_session_id,
        round_points,
        points,
        checkpoints_led,
        checkpoints_scored,
        cast(rank() over standings as integer) as position,
        max(points) over (partition by competitor_type, series_id, season, class_id, round_number) - points
            as gap_to_leader
    from cumulative
    window standings as (
        partition by competitor_type, series_id, season, class_id, round_number order by points desc nulls last
    )
)

select * from final
