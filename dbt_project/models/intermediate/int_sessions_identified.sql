{#-
  One row per session that has at least one loaded file, with its series and event resolved.
  Series: the series folder name through series_aliases; events published without a series
  folder are matched by an alias contained in the event folder name (e.g. '22_PCCNA COTA').
-#}
{#- A table, not a view: every model and the scope of each test of an incremental build
    (macros/test_scope.sql) reads it; as a view each read matched the aliases again. -#}
{{ config(materialized='table') }}
with

files as (
    select * from {{ ref('stg_alkamel__ingested_files') }}
    where status = 'loaded' and session_key is not null
        -- A standings file's key is its championship's, not a session (marts.official_standings).
        and report_kind is distinct from 'official_standings'
),

series_aliases as (
    select * from {{ ref('series_aliases') }}
),

circuit_aliases as (
    select * from {{ ref('circuit_aliases') }}
),

session_types as (
    select * from {{ ref('session_types') }}
),

reported as (
    -- What JSON reports say of the session, where the folder names say less.
    select
        session_key,
        {{ any_value('championship_name') }} as championship_name,
        {{ any_value('official_event_name') }} as official_event_name,
        {{ any_value('circuit_name') }} as circuit_name,
        {{ any_value('circuit_length_km') }} as circuit_length_km
    from {{ ref('stg_alkamel__report_sessions') }}
    group by session_key
),

sessions as (
    select
        session_key,
        {{ any_value('season') }} as season,
        {{ any_value('event_folder') }} as event_folder,
        {{ any_value('event_name') }} as event_name,
        {{ any_value('series_folder') }} as series_folder,
        {{ any_value('series_name') }} as series_name_delivered,
        {{ any_value('session_folder') }} as session_folder,
        {{ any_value('session_name') }} as session_name,
        {{ any_value('session_start_local') }} as start_at
    from files
    group by session_key
),

described as (
    select
        sessions.*,
        reported.championship_name,
        reported.official_event_name,
        reported.circuit_name as circuit_name_reported,
        reported.circuit_length_km as circuit_length_km_reported
    from sessions
    left join reported on reported.session_key = sessions.session_key
),

series_matched as (
    select
        described.session_key,
        series_aliases.series_id,
        row_number() over (
            partition by described.session_key
            order by
                (lower(series_aliases.alias) = lower(described.series_name_delivered)) desc nulls last,
                length(series_aliases.alias) desc
        ) as match_rank
    from described
    join series_aliases
        on lower(series_aliases.alias) = lower(described.series_name_delivered)
        or (described.series_name_delivered is null
            and (strpos(lower(described.event_name), lower(series_aliases.alias)) > 0
                 or lower(series_aliases.alias) = lower(described.championship_name)))
),

typed as (
    -- The first rule of the session_types seed whose pattern matches the name (case and spacing aside).
    select
        described.session_key,
        session_types.session_type,
        session_types.rule_order,
        nullif(trim({{ regexp_extract(
            "regexp_replace(trim(described.session_name), '\\s+', ' ', 'g')",
            "'(?i)' || session_types.part_pattern", 1
        ) }}, ' -'), '') as session_part,
        row_number() over (partition by described.session_key order by session_types.rule_order) as match_rank
    from described
    join session_types
        on {{ regexp_matches(
            "lower(regexp_replace(trim(described.session_name), '\\s+', ' ', 'g'))", 'session_types.name_pattern'
        ) }}
        and (
            session_types.event_pattern is null
            or {{ regexp_matches('lower(described.event_name)', 'session_types.event_pattern') }}
        )
),

circuit_matched as (
    select
        described.session_key,
        circuit_aliases.circuit_id,
        row_number() over (partition by described.session_key order by length(circuit_aliases.alias) desc) as match_rank
    from described
    join circuit_aliases
        on strpos(lower(described.event_name), lower(circuit_aliases.alias)) > 0
        or strpos(lower(coalesce(described.circuit_name_reported, '')), lower(circuit_aliases.alias)) > 0
),

final as (
    select
        described.session_key as session_id,
        -- Unknown series keep a key derived from their folder name, so they still load.
        coalesce(
            series_matched.series_id,
            'unknown:' || coalesce(described.series_name_delivered, described.championship_name, described.event_name)
        ) as series_id,
        coalesce(described.series_name_delivered, described.championship_name) as series_name_delivered,
        {{ surrogate_key([
            "coalesce(series_matched.series_id, 'unknown:' || coalesce(described.series_name_delivered, "
                ~ "described.championship_name, described.event_name))",
            'described.season',
            'described.event_folder',
        ]) }} as event_id,
        described.season,
        described.event_folder,
        described.event_name,
        described.official_event_name,
        -- A circuit the seeds do not know is named after the report's circuit.
        coalesce(circuit_matched.circuit_id, {{ name_key('described.circuit_name_reported') }}) as circuit_id,
        described.circuit_name_reported,
        described.circuit_length_km_reported,
        described.series_folder,
        described.session_folder,
        described.session_name,
        -- A name no rule knows loads as 'other' (and is listed in marts.data_quality_findings).
        coalesce(typed.session_type, 'other') as session_type,
        typed.session_part,
        typed.rule_order as session_type_rule,
        described.start_at
    from described
    left join series_matched on series_matched.session_key = described.session_key and series_matched.match_rank = 1
    left join circuit_matched on circuit_matched.session_key = described.session_key and circuit_matched.match_rank = 1
    left join typed on typed.session_key = described.session_key and typed.match_rank = 1
)

select * from final
