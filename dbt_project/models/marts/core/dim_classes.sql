with

results as (
    select distinct session_key, class_name from {{ ref('int_session_results_unioned') }} where class_name is not null
),

sessions as (
    select session_id, series_id from {{ ref('int_sessions_identified') }}
),

final as (
    select distinct
        {{ surrogate_key(['sessions.series_id', 'results.class_name']) }} as class_id,
        sessions.series_id,
        results.class_name
    from results
    join sessions on sessions.session_id = results.session_key
)

select * from final
