{#-
  The officials' championship standings as published (JSON files of the `Points Data` folders):
  one row per championship, competitor and session of the championship, from the latest round's
  file of each championship. The numbers are the officials', untouched; the series, kind, class
  and cup are read from the folders and the championship's title.
-#}
with

standings as (
    select * from {{ ref('stg_alkamel__official_standings') }}
),

rounds as (
    -- The series of the round's own sessions, as int_sessions_identified resolved it.
    select season, event_folder, series_folder, {{ any_value('series_id') }} as series_id
    from {{ ref('int_sessions_identified') }}
    group by season, event_folder, series_folder
),

series_aliases as (
    select * from {{ ref('series_aliases') }}
),

described as (
    select
        standings.*,
        coalesce(standings.championship_title, standings.championship_file) as title,
        -- Drivers, Teams, Manufacturers (PCCNA: Rookies are drivers, Entrants are teams).
        {{ regexp_extract(
            'coalesce(standings.championship_title, standings.championship_file)',
            "'(?i)\\b(drivers?|rookies?|teams?|entrants?|manufacturers?)\\b'", 1
        ) }} as kind_word
    from standings
),

classed as (
    select
        described.*,
        -- The word before the kind word ('... GTD Teams'), else the words after it ('... Drivers Pro').
        case when described.kind_word <> '' then nullif(coalesce(
            nullif({{ regexp_extract(
                'described.title', "'(?i)(\\S+)\\s+' || described.kind_word || '\\s*$'", 1
            ) }}, ''),
            {{ regexp_extract('described.title', "'(?i)\\b' || described.kind_word || '\\s+(.+)$'", 1) }}
        ), '') end as class_delivered
    from described
),

final as (
    select
        described.session_key as championship_key,
        -- A round without sessions of its own loaded: the series folder name through series_aliases,
        -- else the key int_sessions_identified gives a series it does not know.
        coalesce(rounds.series_id, series_aliases.series_id,
                 'unknown:' || coalesce(described.series_name_delivered, described.championship_title)) as series_id,
        described.series_name_delivered,
        described.season,
        described.championship_file,
        described.championship_name,
        described.championship_title,
        described.championship_sub_title,
        case
            when lower(described.kind_word) like 'manufacturer%' then 'manufacturers'
            when lower(described.kind_word) like 'team%' or lower(described.kind_word) like 'entrant%' then 'teams'
            when lower(described.kind_word) like 'driver%' or lower(described.kind_word) like 'rookie%' then 'drivers'
            else 'other'
        end as championship_kind,
        -- Through the class_aliases seed (GTDPRO -> GTD PRO); null when the title names no class.
        case when described.class_delivered is not null then {{ normalise_class('described.class_delivered') }} end
            as class_name,
        case
            when {{ regexp_matches('described.title', "'(?i)endurance cup'") }}
                or {{ regexp_matches(
                    'coalesce(described.championship_name, described.championship_file)', "'(?i)^imec\\b'"
                ) }}
                then 'endurance'
            else 'main'
        end as cup,
        described.round_event_folder as after_event_folder,
        described.round_event_name as after_event_name,
        described.report_mark,
        described.created_at,
        described.competitor_key,
        described.team_name,
        described.rookie_mark,
        described.position,
        described.total_points,
        described.net_position,
        described.total_net_points,
        described.session_index,
        described.session_event_name,
        described.session_name,
        described.session_status,
        described.session_points,
        described.race_points,
        described.race_points_valid_for_net_points,
        described.pole_points,
        described.pole_points_valid_for_net_points,
        described.fastest_lap_points,
        described.fastest_lap_points_valid_for_net_points,
        described.extra_points_1,
        described.extra_points_1_valid_for_net_points,
        described.extra_points_2,
        described.extra_points_2_valid_for_net_points,
        described.penalty_points,
        described.penalty_points_valid_for_net_points,
        described.extra_participation_points,
        described.extra_participation_points_valid_for_net_points,
        described.extra_not_started_points,
        described.extra_not_started_points_valid_for_net_points,
        described.extra_not_classified_points,
        described.extra_not_classified_points_valid_for_net_points,
        described.source_file_path,
        described.source_entry_number
    from classed as described
    left join rounds
        on rounds.season = described.season
        and rounds.event_folder = described.round_event_folder
        and rounds.series_folder is not distinct from described.series_folder
    left join series_aliases on lower(series_aliases.alias) = lower(described.series_name_delivered)
)

select * from final
