{#- A team is its name, compared without case, accents or punctuation; the latest spelling is shown. -#}
with

results as (
    select session_key, team_name from {{ ref('int_session_results_unioned') }} where team_name is not null
),

sessions as (
    select session_id, start_at from {{ ref('int_sessions_identified') }}
),

team_keys as (
    -- The name key of each distinct spelling, not of every row (a regular expression per row costs seconds).
    select team_name, {{ name_key('team_name') }} as team_key
    from (select distinct team_name from results)
),

spellings as (
    select
        team_keys.team_key,
        arg_max(results.team_name, sessions.start_at) as team_name,
        count(distinct results.session_key) as sessions_entered
    from results
    join sessions on sessions.session_id = results.session_key
    join team_keys on team_keys.team_name = results.team_name
    group by 1
),

final as (
    select md5(team_key) as team_id, team_name, sessions_entered
    from spellings
)

select * from final
