with

results as (
    select * from {{ ref('int_session_results_ranked') }}
),

sessions as (
    select * from {{ ref('int_sessions_identified') }}
),

final as (
    select
        results.session_key as session_id,
        results.car_number,
        sessions.event_id,
        sessions.series_id,
        sessions.season,
        sessions.session_type,
        {{ surrogate_key(['sessions.series_id', 'sessions.season', 'results.car_number', name_key('results.team_name')]) }} as car_id,
        {{ surrogate_key(['sessions.series_id', 'results.class_name']) }} as class_id,
        md5({{ name_key('results.team_name') }}) as team_id,
        results.status,
        results.status_delivered,
        results.finish_position,
        cast(results.class_position as integer) as class_position,
        results.laps,
        results.total_time_ms,
        results.gap_first,
        results.gap_previous,
        results.best_lap_ms,
        results.best_lap_number,
        results.best_lap_kph,
        cast(results.grid_position as integer) as grid_position,
        cast(results.class_grid_position as integer) as class_grid_position,
        results.grid_source,
        cast(results.positions_gained as integer) as positions_gained,
        cast(results.class_positions_gained as integer) as class_positions_gained,
        results.vehicle,
        results.source_file_path,
        results.source_row_number
    from results
    join sessions on sessions.session_id = results.session_key
)

select * from final
