{#-
  One row per session that has at least one loaded file, with its series and event resolved.
  Series: the series folder name through series_aliases; events published without a series
  folder are matched by an alias contained in the event folder name (e.g. '22_PCCNA COTA').
-#}
with

files as (
    select * from {{ ref('stg_alkamel__ingested_files') }}
    where status = 'loaded' and session_key is not null
),

series_aliases as (
    select * from {{ ref('series_aliases') }}
),

circuit_aliases as (
    select * from {{ ref('circuit_aliases') }}
),

sessions as (
    select
        session_key,
        any_value(season) as season,
        any_value(event_folder) as event_folder,
        any_value(event_name) as event_name,
        any_value(series_folder) as series_folder,
        any_value(series_name) as series_name_delivered,
        any_value(session_folder) as session_folder,
        any_value(session_name) as session_name,
        any_value(session_type) as session_type,
        any_value(session_start_local) as start_at
    from files
    group by session_key
),

series_matched as (
    select
        sessions.session_key,
        series_aliases.series_id,
        row_number() over (
            partition by sessions.session_key
            order by (lower(series_aliases.alias) = lower(sessions.series_name_delivered)) desc, length(series_aliases.alias) desc
        ) as match_rank
    from sessions
    join series_aliases
        on lower(series_aliases.alias) = lower(sessions.series_name_delivered)
        or (sessions.series_name_delivered is null
            and contains(lower(sessions.event_name), lower(series_aliases.alias)))
),

circuit_matched as (
    select
        sessions.session_key,
        circuit_aliases.circuit_id,
        row_number() over (partition by sessions.session_key order by length(circuit_aliases.alias) desc) as match_rank
    from sessions
    join circuit_aliases on contains(lower(sessions.event_name), lower(circuit_aliases.alias))
),

final as (
    select
        sessions.session_key as session_id,
        -- Unknown series keep a key derived from their folder name, so they still load.
        coalesce(series_matched.series_id, 'unknown:' || coalesce(sessions.series_name_delivered, sessions.event_name)) as series_id,
        sessions.series_name_delivered,
        {{ surrogate_key(["coalesce(series_matched.series_id, 'unknown:' || coalesce(sessions.series_name_delivered, sessions.event_name))", 'sessions.season', 'sessions.event_folder']) }} as event_id,
        sessions.season,
        sessions.event_folder,
        sessions.event_name,
        circuit_matched.circuit_id,
        sessions.series_folder,
        sessions.session_folder,
        sessions.session_name,
        sessions.session_type,
        sessions.start_at
    from sessions
    left join series_matched on series_matched.session_key = sessions.session_key and series_matched.match_rank = 1
    left join circuit_matched on circuit_matched.session_key = sessions.session_key and circuit_matched.match_rank = 1
)

select * from final
