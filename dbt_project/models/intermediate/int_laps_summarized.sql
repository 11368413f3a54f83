{#- The laps of each driver of each car in each session, counted once: the season aggregates read this
    instead of every lap of history. Incremental like fct_laps (macros/incremental.sql): a build
    replaces the changed sessions' rows. -#}
{{ incremental_by_session() }}
-- depends_on: {{ ref('int_sessions_changed') }}
with

laps as (
    select * from {{ ref('fct_laps') }}
    {% if is_incremental() %}where session_id in {{ changed_sessions() }}{% endif %}
),

final as (
    select
        session_id,
        car_number,
        driver_id,
        class_id,
        count(*) filter (where lap_number >= 1) as laps_completed,  -- lap 0: the run from the grid
        count(*) filter (where is_class_leader) as laps_led,
        bool_or(lap_number = 1 and is_class_leader) as led_lap_1,
        max(lap_number) as last_lap_number
    from laps
    group by session_id, car_number, driver_id, class_id
)

select * from final
