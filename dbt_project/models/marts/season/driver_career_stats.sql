{#-
  Career numbers of every driver in every series, overall (grain `series`, class_id null) and
  per class (grain `class`). Races only. A win is class position 1; a podium class position <= 3;
  a pole is class grid position 1; a fastest lap is the class's fastest race lap; a lap led is a
  lap at whose end the car led its class (fct_laps.is_class_leader) with the driver at the wheel.
-#}
{{ config(materialized='table') }}
{%- set career_columns -%}
    session_id, start_at, status, class_position, finish_position, took_pole, set_fastest_lap, laps_led, laps_completed,
        positions_gained, class_positions_gained
{%- endset %}
with

results as (
    select * from {{ ref('fct_session_results') }} where session_type = 'race'
),

drivers as (
    select * from {{ ref('bridge_session_result_drivers') }}
),

sessions as (
    select session_id, start_at from {{ ref('dim_sessions') }}
),

laps as (
    select
        session_id,
        car_number,
        driver_id,
        cast(sum(laps_completed) as bigint) as laps_completed,  -- a count, as before: not sum()'s HUGEINT
        cast(sum(laps_led) as bigint) as laps_led
    from {{ ref('int_laps_summarized') }}
    group by session_id, car_number, driver_id
),

driver_results as (
    select
        drivers.driver_id,
        results.*,
        sessions.start_at,
        coalesce(laps.laps_led, 0) as laps_led,
        -- Without time cards, the classification's laps are the driver's best measure.
        coalesce(laps.laps_completed, case when drivers.driver_order = 1 then results.laps end, 0) as laps_completed
    from results
    join drivers on drivers.session_id = results.session_id and drivers.car_number = results.car_number
    join sessions on sessions.session_id = results.session_id
    left join laps
        on laps.session_id = results.session_id
        and laps.car_number = results.car_number
        and laps.driver_id = drivers.driver_id
),

by_grain as (
    select
        'series' as grain, driver_id, series_id, cast(null as varchar) as class_id, {{ career_columns }}
    from driver_results
    union all
    select 'class' as grain, driver_id, series_id, class_id, {{ career_columns }}
    from driver_results
),

final as (
    select
        grain,
        driver_id,
        series_id,
        class_id,
        count(*) filter (where status <> 'not_started') as starts,
        count(*) filter (where class_position = 1) as wins,
        count(*) filter (where class_position <= 3) as podiums,
        count(*) filter (where took_pole) as poles,
        count(*) filter (where set_fastest_lap) as fastest_laps,
        sum(laps_led) as laps_led,
        sum(laps_completed) as laps_completed,
        {{ round_double(
            "count(*) filter (where class_position = 1) * 1.0 / nullif(count(*) filter (where status <> 'not_started'), 0)",
            4
        ) }} as win_rate,
        {{ arg_min('session_id', 'start_at', where='class_position = 1') }} as first_win_session_id,
        cast(min(start_at) filter (where class_position = 1) as date) as first_win_date,
        {{ arg_max('session_id', 'start_at', where='class_position = 1') }} as last_win_session_id,
        cast(max(start_at) filter (where class_position = 1) as date) as last_win_date,
        min(class_position) as best_class_finish,
        min(finish_position) as best_overall_finish,
        coalesce(sum(positions_gained), 0) as positions_gained,
        coalesce(sum(class_positions_gained), 0) as class_positions_gained,
        {{ arg_min('session_id', 'start_at', where="status <> 'not_started'") }} as debut_session_id,
        cast(min(start_at) filter (where status <> 'not_started') as date) as debut_date
    from by_grain
    group by grain, driver_id, series_id, class_id
)

select * from final
