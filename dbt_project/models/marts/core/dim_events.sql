with

sessions as (
    select * from {{ ref('int_sessions_identified') }}
),

events as (
    select
        event_id,
        {{ any_value('series_id') }} as series_id,
        {{ any_value('season') }} as season,
        {{ any_value('event_name') }} as event_name,
        {{ any_value('official_event_name') }} as official_event_name,
        {{ any_value('event_folder') }} as event_folder,
        {{ any_value('circuit_id') }} as circuit_id,
        cast(min(start_at) as date) as start_date,
        cast(max(start_at) as date) as end_date,
        count(*) as session_count,
        count(*) filter (where session_type = 'race') as race_count
    from sessions
    group by event_id
),

final as (
    select
        event_id,
        series_id,
        season,
        event_name,
        official_event_name,
        event_folder,
        circuit_id,
        start_date,
        end_date,
        -- Events in date order within the series season (the folder number is the site's own order).
        cast(dense_rank() over (partition by series_id, season order by start_date, event_folder) as integer)
            as round_number,
        session_count,
        race_count
    from events
)

select * from final
