with

source as (
    select * from {{ loaded_rows('weather') }}
),

renamed as (
    select
        _session_key as session_key,
        {{ epoch_to_timestamp(to_int('time_utc_seconds')) }} as sample_at_utc,
        {{ clean_text('time_utc_str') }} as sample_time_delivered,
        -- The files do not name their units; the values read as °F, %, inHg (see alkamel.md).
        {{ to_double('air_temp') }} as air_temp_f,
        {{ to_double('track_temp') }} as track_temp_f,
        {{ to_double('humidity') }} as humidity_pct,
        {{ to_double('pressure') }} as pressure_inhg,
        {{ to_double('wind_speed') }} as wind_speed,
        {{ to_double('wind_direction') }} as wind_direction_deg,
        {{ to_double('rain') }} as rain,
        _file_path as source_file_path,
        _row_number as source_row_number
    from source
)

select * from renamed
