with

sessions as (
    select * from {{ ref('int_sessions_identified') }}
),

final as (
    select
        session_id,
        event_id,
        series_id,
        season,
        session_name,
        session_type,
        session_part,
        session_type_rule,
        start_at,
        session_folder,
        -- Races in start order within the series season: the unit of season standings.
        case when session_type = 'race' then
            cast(row_number() over (
                partition by series_id, season, session_type = 'race' order by start_at, session_folder
            ) as integer)
        end as race_number_in_season
    from sessions
)

select * from final
