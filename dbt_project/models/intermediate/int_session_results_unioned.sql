{#- Race and qualifying/practice classifications in one shape: one row per car per session.
    An incremental table (macros/incremental.sql): a session's rows come from its own files only, so a
    build re-reads the changed sessions; the dimensions read every session's rows from here. -#}
{{ incremental_by_session('session_key') }}
-- depends_on: {{ ref('int_sessions_changed') }}
with

race as (
    select * from {{ ref('stg_alkamel__race_results') }}
    {% if is_incremental() %}where session_key in {{ changed_sessions() }}{% endif %}
),

other as (
    select * from {{ ref('stg_alkamel__classifications') }}
    {% if is_incremental() %}where session_key in {{ changed_sessions() }}{% endif %}
),

unioned as (
    select
        session_key, car_number, class_name, class_delivered, team_name, vehicle, status, status_delivered,
        finish_position, laps, total_time_ms, gap_first, gap_previous,
        best_lap_ms, best_lap_number, best_lap_kph, pit_stops, not_finished, not_finished_cause,
        source_file_path, source_row_number
    from race

    union all

    select
        session_key, car_number, class_name, class_delivered, team_name, vehicle,
        -- Qualifying and practice CSV files carry no status: a car without a time did not take part.
        coalesce(
            status, case when best_lap_ms is null and coalesce(laps, 0) = 0 then 'not_started' else 'classified' end
        ) as status,
        status_delivered,
        finish_position, laps, null as total_time_ms, gap_first, gap_previous,
        best_lap_ms, best_lap_number, best_lap_kph, pit_stops, not_finished, not_finished_cause,
        source_file_path, source_row_number
    from other
)

select * from unioned
