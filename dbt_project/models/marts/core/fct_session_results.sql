{#- Incremental (macros/incremental.sql): a build rebuilds only the series seasons that hold a changed
    session (points dropped and grids depend on the rest of the season). -#}
{{ incremental_by_session(whole_seasons=true) }}
-- depends_on: {{ ref('int_sessions_changed') }}
-- depends_on: {{ ref('int_sessions_identified') }}
{% if is_incremental() %}{% set scope = changed_season_sessions(this) %}{% endif %}
with

results as (
    select * from {{ ref('int_session_results_ranked') }}
    {% if is_incremental() %}where session_key in {{ scope }}{% endif %}
),

scored as (
    select * from {{ ref('int_session_results_scored') }}
    {% if is_incremental() %}where session_key in {{ scope }}{% endif %}
),

dropped as (
    -- Drops as they stand after the latest race of the season, for the car entry.
    select session_id, car_number, dropped
    from {{ ref('int_competitor_results_dropped') }}
    where competitor_type = 'car' and is_latest_round
    {% if is_incremental() %}and session_id in {{ scope }}{% endif %}
),

final as (
    select
        results.session_key as session_id,
        results.car_number,
        results.event_id,
        results.series_id,
        results.season,
        results.session_type,
        results.car_id,
        results.class_id,
        results.team_id,
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
        scored.points,
        case when dropped.dropped then 0 else scored.points end as points_counted,
        coalesce(dropped.dropped, false) as points_dropped,
        scored.excluded_reason as points_excluded_reason,
        scored.took_pole,
        scored.set_fastest_lap,
        results.pit_stops,
        results.not_finished,
        results.not_finished_cause,
        results.vehicle,
        results.source_file_path,
        results.source_row_number
    from results
    left join scored on scored.session_key = results.session_key and scored.car_number = results.car_number
    left join dropped on dropped.session_id = results.session_key and dropped.car_number = results.car_number
)

select * from final
{{ whole_seasons_order() }}
