with

series as (
    select * from {{ ref('series') }}
),

sessions as (
    select distinct series_id, series_name_delivered, event_name from {{ ref('int_sessions_identified') }}
),

unknown as (
    -- Series not in the seed still appear, named after their folder, so nothing is dropped.
    select distinct
        sessions.series_id,
        coalesce(sessions.series_name_delivered, sessions.event_name) as series_name,
        cast(null as varchar) as short_name,
        cast(null as date) as careers_counted_from
    from sessions
    where sessions.series_id not in (select series.series_id from series)
),

final as (
    select series_id, series_name, short_name, cast(careers_counted_from as date) as careers_counted_from from series
    union all
    select series_id, series_name, short_name, careers_counted_from from unknown
)

select * from final
