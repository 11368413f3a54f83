with

source as (
    select * from {{ loaded_rows('race_results') }}
),

renamed as (
    select
        source._session_key as session_key,
        trim(source.number) as car_number,
        {{ to_int('source.position') }} as finish_position,
        {{ clean_text('source.status') }} as status_delivered,
        {{ to_int('source.laps') }} as laps,
        {{ duration_ms('source.total_time') }} as total_time_ms,
        {{ clean_text('source.gap_first') }} as gap_first,
        {{ clean_text('source.gap_previous') }} as gap_previous,
        {{ to_int('source.fl_lapnum') }} as best_lap_number,
        {{ duration_ms('source.fl_time') }} as best_lap_ms,
        {{ to_double('source.fl_kph') }} as best_lap_kph,
        {{ clean_text('source.team') }} as team_name,
        {{ clean_text('source.class') }} as class_delivered,
        {{ clean_text('source."group"') }} as class_group,
        {{ clean_text('source.division') }} as division,
        {{ clean_text('source.vehicle') }} as vehicle,
        {{ clean_text('source.tires') }} as tires,
        {{ clean_text('source.imsa_carid') }} as imsa_car_id,
        {{ clean_text('source.imsa_teamid') }} as imsa_team_id,
        {{ clean_text('source.manufacturer') }} as manufacturer,
        {{ to_int('source.pit_stops') }} as pit_stops,
        {{ try_cast_text('source.not_finished', 'boolean') }} as not_finished,
        {{ clean_text('source.not_finished_cause') }} as not_finished_cause,
        {{ to_int('source.fastest_lap_driver_number') }} as best_lap_driver_order,
        source._file_path as source_file_path,
        source._row_number as source_row_number
    from source
),

final as (
    select
        renamed.*,
        {{ normalise_status('renamed.status_delivered') }} as status,
        {{ normalise_class('renamed.class_delivered') }} as class_name
    from renamed
)

select * from final
