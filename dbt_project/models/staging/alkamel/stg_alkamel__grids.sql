with

source as (
    select * from {{ loaded_rows('grids') }}
),

renamed as (
    select
        source._session_key as session_key,
        trim(source.number) as car_number,
        {{ to_int('source.position') }} as grid_position,
        {{ clean_text('source.class') }} as class_delivered,
        {{ clean_text('source.starting_driver') }} as starting_driver,
        {{ clean_text('source.qualifying_driver') }} as qualifying_driver,
        {{ clean_text('source.team') }} as team_name,
        {{ clean_text('source.car') }} as vehicle,
        {{ duration_ms('source.time') }} as qualifying_time_ms,
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
