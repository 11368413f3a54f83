with

standings as (
    select * from {{ ref('int_standings_computed') }}
    where competitor_type = 'car'
),

final as (
    select
        series_id,
        season,
        class_id,
        round_number,
        after_session_id,
        car_id,
        team_id,
        car_number,
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
        results_dropped
    from standings
)

select * from final
