{#- Incremental (macros/incremental.sql): a build rebuilds only the sessions whose inputs changed. -#}
{{ incremental_by_session() }}
-- depends_on: {{ ref('int_sessions_changed') }}
with

laps as (
    select * from {{ ref('int_laps_ordered') }}
    {% if is_incremental() %}where session_key in {{ changed_sessions() }}{% endif %}
),

sessions as (
    select session_id, series_id from {{ ref('int_sessions_identified') }}
),

final as (
    select
        laps.session_key as session_id,
        laps.car_number,
        laps.lap_number,
        laps.driver_id,
        laps.driver_order,
        {{ surrogate_key(['sessions.series_id', 'laps.entry_class_name']) }} as class_id,
        laps.lap_time_ms,
        laps.s1_ms,
        laps.s2_ms,
        laps.s3_ms,
        laps.kph,
        laps.top_speed_kph,
        laps.elapsed_ms,
        laps.time_of_day_ms,
        laps.in_pit,
        laps.pit_time_ms,
        laps.flag,
        laps.lap_improvement,
        laps.is_deleted,
        cast(laps.overall_position as integer) as overall_position,
        cast(laps.class_position as integer) as class_position,
        laps.is_class_leader,
        cast(laps.stint_number as integer) as stint_number,
        laps.source_file_path,
        laps.source_row_number
    from laps
    join sessions on sessions.session_id = laps.session_key
)

select * from final
