{#- A car entry: one car number in one series season for one team (car numbers are text: '01' is not '1'). -#}
with

results as (
    select * from {{ ref('int_session_results_unioned') }}
),

sessions as (
    select session_id, series_id, season, start_at from {{ ref('int_sessions_identified') }}
),

team_keys as (
    -- The name key of each distinct spelling, not of every row (a regular expression per row costs seconds).
    select team_name, {{ name_key('team_name') }} as team_key
    from (select distinct team_name from results where team_name is not null)
),

entries as (
    select
        sessions.series_id,
        sessions.season,
        results.car_number,
        team_keys.team_key,
        arg_max(results.vehicle, sessions.start_at) as vehicle,
        arg_max(results.class_name, sessions.start_at) as class_name,
        count(distinct results.session_key) as sessions_entered
    from results
    join sessions on sessions.session_id = results.session_key
    left join team_keys on team_keys.team_name = results.team_name
    group by all
),

final as (
    -- Keys hashed per entry, after grouping, not per row.
    select
        {{ surrogate_key(['series_id', 'season', 'car_number', 'team_key']) }} as car_id,
        series_id,
        season,
        car_number,
        md5(team_key) as team_id,
        vehicle,
        class_name,
        sessions_entered
    from entries
)

select * from final
