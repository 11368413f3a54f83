{{ config(meta={'dagster': {'ref': {'name': 'fct_laps'}}}) }}
-- The running order at the end of every lap, derived again from the time cards (staging): a car's
-- overall position is 1 + the cars that completed the same lap number with a smaller elapsed time
-- (equal or missing times by car number), its class position the same within its class (the
-- classification's class, else the time card's), and it leads its class exactly when that is 1
-- (alkamel.md: the order of ELAPSED at a lap number is the running order). Replaces a count of one
-- leader per lap, which row_number() guaranteed whatever order it numbered.
-- Proven able to fail: tests/integration/test_dbt_tests_fail.py.
with
entries as (
    select distinct session_id, car_number, class_name from ({{ recomputed_class_positions() }}) as recomputed
),

laps as (
    select laps.session_key as session_id, laps.car_number, laps.lap_number, laps.elapsed_ms,
           coalesce(entry.class_name, laps.class_name) as class_name
    from {{ ref('stg_alkamel__time_cards') }} as laps
    left join entries as entry
        on entry.session_id = laps.session_key and entry.car_number = laps.car_number
    where {{ incremental_test_filter(ref('fct_laps'), 'laps.session_key') }}  -- macros/test_scope.sql
),

ahead as (
    select me.session_id, me.car_number, me.lap_number,
           count(other.car_number) as cars_ahead,
           count(other.car_number) filter (where other.class_name is not distinct from me.class_name)
               as class_cars_ahead
    from laps as me
    left join laps as other
        on other.session_id = me.session_id and other.lap_number = me.lap_number
        and (other.elapsed_ms < me.elapsed_ms
             or (me.elapsed_ms is null and other.elapsed_ms is not null)
             or (other.elapsed_ms is not distinct from me.elapsed_ms and other.car_number < me.car_number))
    group by me.session_id, me.car_number, me.lap_number
)

select laps.session_id, laps.car_number, laps.lap_number,
       laps.overall_position, laps.class_position, laps.is_class_leader,
       ahead.cars_ahead + 1 as expected_overall, ahead.class_cars_ahead + 1 as expected_in_class
from (select * from {{ ref('fct_laps') }} where {{ incremental_test_filter(ref('fct_laps')) }}) as laps
full join ahead using (session_id, car_number, lap_number)
where (laps.overall_position is distinct from ahead.cars_ahead + 1
       or laps.class_position is distinct from ahead.class_cars_ahead + 1
       or laps.is_class_leader is distinct from (ahead.class_cars_ahead = 0))
