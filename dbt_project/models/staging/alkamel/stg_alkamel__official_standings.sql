with

source as (
    select * from {{ loaded_rows('official_standings') }}
),

renamed as (
    select
        -- The championship's key (season, series, file name): one loaded file per key.
        _session_key as session_key,
        _season as season,
        _series_folder as series_folder,
        _series_name as series_name_delivered,
        _event_folder as round_event_folder,
        _event_name as round_event_name,
        {{ try_cast_text("split_part(_event_folder, '_', 1)", 'integer') }} as round_event_number,
        _mark as report_mark,
        _report as championship_file,
        {{ clean_text('championship_name') }} as championship_name,
        {{ clean_text('championship_main_title') }} as championship_title,
        {{ clean_text('championship_sub_title') }} as championship_sub_title,
        {{ to_int('championship_year') }} as championship_year,
        {{ clean_text('championship_group_name') }} as championship_group_name,
        -- Real files write '03-07-2026 11:54:50' (day first).
        {{ try_strptime('championship_creation_date', '%d-%m-%Y %H:%M:%S') }} as created_at,
        {{ clean_text('key') }} as competitor_key,
        {{ clean_text('team') }} as team_name,
        {{ clean_text('rookie') }} as rookie_mark,
        {{ to_int('position') }} as position,
        {{ to_double('total_points') }} as total_points,
        {{ to_int('net_position') }} as net_position,
        {{ to_double('total_net_points') }} as total_net_points,
        {{ to_int('session_index') }} as session_index,
        {{ clean_text('session_event_name') }} as session_event_name,
        {{ clean_text('session_name') }} as session_name,
        lower({{ clean_text('status') }}) as session_status,
        {{ to_double('session_total_points') }} as session_points,
        {{ to_double('race_points') }} as race_points,
        {{ to_bool('race_points_valid_for_net_points') }} as race_points_valid_for_net_points,
        {{ to_double('pole_points') }} as pole_points,
        {{ to_bool('pole_points_valid_for_net_points') }} as pole_points_valid_for_net_points,
        {{ to_double('fastest_lap_points') }} as fastest_lap_points,
        {{ to_bool('fastest_lap_points_valid_for_net_points') }} as fastest_lap_points_valid_for_net_points,
        {{ to_double('extra_points_1') }} as extra_points_1,
        {{ to_bool('extra_points_1_valid_for_net_points') }} as extra_points_1_valid_for_net_points,
        {{ to_double('extra_points_2') }} as extra_points_2,
        {{ to_bool('extra_points_2_valid_for_net_points') }} as extra_points_2_valid_for_net_points,
        {{ to_double('penalty_points') }} as penalty_points,
        {{ to_bool('penalty_points_valid_for_net_points') }} as penalty_points_valid_for_net_points,
        {{ to_double('extra_participation_points') }} as extra_participation_points,
        {{ to_bool('extra_participation_points_valid_for_net_points') }}
            as extra_participation_points_valid_for_net_points,
        {{ to_double('extra_not_started_points') }} as extra_not_started_points,
        {{ to_bool('extra_not_started_points_valid_for_net_points') }} as extra_not_started_points_valid_for_net_points,
        {{ to_double('extra_not_classified_points') }} as extra_not_classified_points,
        {{ to_bool('extra_not_classified_points_valid_for_net_points') }}
            as extra_not_classified_points_valid_for_net_points,
        _file_path as source_file_path,
        _row_number as source_entry_number
    from source
)

select * from renamed
