with

standings as (
    select * from {{ ref('int_standings_computed') }}
    where competitor_type = 'driver'
),

final as (
    select
        series_id,
        season,
        class_id,
        round_number,
        after_session_id,
        driver_id,
        points,
        race_points,
        qualifying_points,
        points_counted,
        position,
        wins,
        podiums,
        poles,
        fastest_laps,
        starts,
        gap_to_leader,
        results_dropped,
        team_id as latest_team_id,
        car_number as latest_car_number
    from standings
)

select * from final
