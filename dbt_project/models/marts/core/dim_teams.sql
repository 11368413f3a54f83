{#- A team is its name, compared without case, accents or punctuation; the latest spelling is shown.
    The key comes from int_session_results_ranked, where it is defined. -#}
with

results as (
    select session_key, team_id, team_name from {{ ref('int_session_results_ranked') }} where team_name is not null
),

sessions as (
    select session_id, start_at from {{ ref('int_sessions_identified') }}
),

final as (
    select
        results.team_id,
        {{ arg_max('results.team_name', ['sessions.start_at', 'results.team_name']) }} as team_name,
        count(distinct results.session_key) as sessions_entered
    from results
    join sessions on sessions.session_id = results.session_key
    group by 1
)

select * from final
