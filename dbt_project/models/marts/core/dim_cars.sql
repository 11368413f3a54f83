{#- A car entry: one car number in one series season for one team (car numbers are text: '01' is not '1'). -#}
with

results as (
    select * from {{ ref('int_session_results_unioned') }}
),

sessions as (
    select session_id, series_id, season, start_at from {{ ref('int_sessions_identified') }}
),

entries as (
    select
        {{ surrogate_key(['sessions.series_id', 'sessions.season', 'results.car_number', name_key('results.team_name')]) }} as car_id,
        sessions.series_id,
        sessions.season,
        results.car_number,
        md5({{ name_key('results.team_name') }}) as team_id,
        arg_max(results.vehicle, sessions.start_at) as vehicle,
        arg_max(results.class_name, sessions.start_at) as class_name,
        count(distinct results.session_key) as sessions_entered
    from results
    join sessions on sessions.session_id = results.session_key
    group by all
)

select * from entries
