{#- Incremental (macros/incremental.sql): a build rebuilds only the sessions whose inputs changed. -#}
{{ incremental_by_session() }}
-- depends_on: {{ ref('int_sessions_changed') }}
with

weather as (
    select * from {{ ref('stg_alkamel__weather') }}
    {% if is_incremental() %}where session_key in {{ changed_sessions() }}{% endif %}
),

final as (
    select
        session_key as session_id,
        sample_at_utc,
        air_temp_f,
        {{ round_double('(air_temp_f - 32) * 5 / 9', 2) }} as air_temp_c,
        track_temp_f,
        {{ round_double('(track_temp_f - 32) * 5 / 9', 2) }} as track_temp_c,
        humidity_pct,
        pressure_inhg,
        wind_speed,
        wind_direction_deg,
        rain,
        source_file_path,
        source_row_number
    from weather
)

select * from final
