{#-
  Time-card laps with the running order at the end of each lap.
  The order of ELAPSED among the cars that completed a given lap number is the running order
  at that lap (alkamel.md); it gives the overall and in-class position per lap. A stint ends
  with a lap that crosses the line in the pit lane or when the driver changes.
-#}
with

laps as (
    select * from {{ ref('stg_alkamel__time_cards') }}
),

results as (
    select session_key, car_number, class_name, best_lap_ms from {{ ref('int_session_results_unioned') }}
),

drivers as (
    select session_key, car_number, driver_order, driver_id from {{ ref('int_drivers_identified') }}
),

classed as (
    select
        laps.*,
        -- The classification's class is authoritative; the time card's own CLASS column is the fallback.
        coalesce(results.class_name, laps.class_name) as entry_class_name,
        -- Race control's deletions (track limits): the time card keeps the lap and its time but no
        -- improvement mark, so a lap faster than the classification's official best lap without
        -- one is a deleted lap (alkamel.md, time cards). Lap 0, the run from the grid, is no lap.
        coalesce(
            laps.lap_number >= 1 and laps.lap_time_ms < results.best_lap_ms and coalesce(laps.lap_improvement, 0) = 0,
            false
        ) as is_deleted,
        coalesce(drivers.driver_id, md5('name:' || {{ name_key('laps.driver_name') }})) as driver_id
    from laps
    left join results on results.session_key = laps.session_key and results.car_number = laps.car_number
    left join drivers
        on drivers.session_key = laps.session_key
        and drivers.car_number = laps.car_number
        and drivers.driver_order = laps.driver_order
),

ordered as (
    select
        classed.*,
        row_number() over (
            partition by session_key, lap_number order by elapsed_ms nulls last, car_number
        ) as overall_position,
        row_number() over (
            partition by session_key, entry_class_name, lap_number order by elapsed_ms nulls last, car_number
        ) as class_position,
        coalesce(lag(in_pit) over car_laps, false) as after_pit,
        coalesce(lag(driver_order) over car_laps <> driver_order, false) as driver_changed
    from classed
    window car_laps as (partition by session_key, car_number order by lap_number)
),

final as (
    select
        -- every column but after_pit and driver_changed
        session_key, car_number, driver_order, lap_number, lap_time_ms, lap_improvement, in_pit, s1_ms, s2_ms, s3_ms,
        s1_improvement, s2_improvement, s3_improvement, kph, elapsed_ms, time_of_day_ms, top_speed_kph, driver_name,
        pit_time_ms, class_delivered, team_name, manufacturer, flag, source_file_path, source_row_number, class_name,
        entry_class_name, is_deleted, driver_id, overall_position, class_position,
        class_position = 1 as is_class_leader,
        1 + sum(case when after_pit or driver_changed then 1 else 0 end) over (
            partition by session_key, car_number order by lap_number rows between unbounded preceding and current row
        ) as stint_number
    from ordered
)

select * from final
