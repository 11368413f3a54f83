with

results as (
    select session_key, class_name, bool_and(class_delivered is null) as class_never_delivered
    from {{ ref('int_session_results_unioned') }}
    where class_name is not null
    group by session_key, class_name
),

sessions as (
    select session_id, series_id from {{ ref('int_sessions_identified') }}
),

final as (
    select
        {{ surrogate_key(['sessions.series_id', 'results.class_name']) }} as class_id,
        sessions.series_id,
        results.class_name,
        -- The files of a one-class series leave CLASS empty: pitwall names the class (macros/alkamel.sql).
        case when bool_and(results.class_never_delivered) then 'pitwall: the files name no class'
             else 'files' end as class_named_by
    from results
    join sessions on sessions.session_id = results.session_key
    group by sessions.series_id, results.class_name
)

select * from final
