with

source as (
    select * from {{ loaded_rows('time_cards') }}
),

renamed as (
    select
        source._session_key as session_key,
        trim(source.number) as car_number,
        {{ to_int('source.driver_number') }} as driver_order,
        {{ to_int('source.lap_number') }} as lap_number,
        {{ duration_ms('source.lap_time') }} as lap_time_ms,
        {{ to_int('source.lap_improvement') }} as lap_improvement,
        coalesce(trim(source.crossing_finish_line_in_pit) = 'B', false) as in_pit,
        {{ duration_ms('source.s1') }} as s1_ms,
        {{ duration_ms('source.s2') }} as s2_ms,
        {{ duration_ms('source.s3') }} as s3_ms,
        {{ to_int('source.s1_improvement') }} as s1_improvement,
        {{ to_int('source.s2_improvement') }} as s2_improvement,
        {{ to_int('source.s3_improvement') }} as s3_improvement,
        {{ to_double('source.kph') }} as kph,
        {{ duration_ms('source.elapsed') }} as elapsed_ms,
        {{ duration_ms('source.hour') }} as time_of_day_ms,
        {{ to_double('source.top_speed') }} as top_speed_kph,
        {{ clean_text('source.driver_name') }} as driver_name,
        {{ duration_ms('source.pit_time') }} as pit_time_ms,
        {{ clean_text('source.class') }} as class_delivered,
        {{ clean_text('source.team') }} as team_name,
        {{ clean_text('source.manufacturer') }} as manufacturer,
        {{ clean_text('source.flag_at_fl') }} as flag,
        source._file_path as source_file_path,
        source._row_number as source_row_number
    from source
),

final as (
    select
        renamed.*,
        {{ normalise_class('renamed.class_delivered') }} as class_name
    from renamed
)

select * from final
