{#- A car entry: one car number in one series season for one team (car numbers are text: '01' is not '1').
    The keys come from int_session_results_ranked, where they are defined. -#}
with

results as (
    select * from {{ ref('int_session_results_ranked') }}
),

sessions as (
    select session_id, start_at from {{ ref('int_sessions_identified') }}
),

entries as (
    select
        results.car_id,
        results.series_id,
        results.season,
        results.car_number,
        results.team_id,
        {{ arg_max('results.vehicle', 'sessions.start_at') }} as vehicle,
        {{ arg_max('results.class_name', 'sessions.start_at') }} as class_name,
        count(distinct results.session_key) as sessions_entered
    from results
    join sessions on sessions.session_id = results.session_key
    group by results.car_id, results.series_id, results.season, results.car_number, results.team_id
)

select * from entries
