with

source as (
    select * from {{ loaded_rows('report_sessions') }}
),

renamed as (
    select
        _session_key as session_key,
        {{ clean_text('championship_name') }} as championship_name,
        {{ clean_text('event_name') }} as official_event_name,
        {{ clean_text('session_name') }} as official_session_name,
        lower({{ clean_text('session_type') }}) as session_type_delivered,
        {{ clean_text('report_mark') }} as report_mark,
        {{ clean_text('report_message') }} as report_message,
        -- Real files write '28-06-2026 12:10' and '30/05/2026 04:10' (local time).
        coalesce(
            {{ try_strptime('session_date', '%d-%m-%Y %H:%M') }},
            {{ try_strptime('session_date', '%d/%m/%Y %H:%M') }}
        ) as session_start_local,
        {{ clean_text('session_date') }} as session_date_delivered,
        {{ clean_text('circuit_name') }} as circuit_name,
        {{ to_double('circuit_length_m') }} / 1000.0 as circuit_length_km,
        {{ clean_text('circuit_country') }} as circuit_country,
        {{ clean_text('air_temperature') }} as air_temperature_delivered,
        {{ clean_text('track_temperature') }} as track_temperature_delivered,
        {{ clean_text('track_status') }} as track_status,
        {{ clean_text('finalize_type') }} as finish_type,
        {{ to_int('finalize_time_seconds') }} as finish_time_seconds,
        _file_path as source_file_path
    from source
)

select * from renamed
