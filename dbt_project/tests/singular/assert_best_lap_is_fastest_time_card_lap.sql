{{ config(meta={'dagster': {'ref': {'name': 'fct_session_results'}}}) }}
-- A race's best lap is the car's fastest time-card lap (same time, on that lap number).
with fastest as (
    select session_id, car_number, min(lap_time_ms) as fastest_ms
    from {{ ref('fct_laps') }}
    where {{ incremental_test_filter(ref('fct_laps')) }}  -- macros/test_scope.sql
    group by session_id, car_number
)
select r.session_id, r.car_number, r.best_lap_ms, f.fastest_ms, r.best_lap_number, l.lap_time_ms as time_on_best_lap_number
from {{ ref('fct_session_results') }} r
join fastest f on f.session_id = r.session_id and f.car_number = r.car_number
left join {{ ref('fct_laps') }} l
    on l.session_id = r.session_id and l.car_number = r.car_number and l.lap_number = r.best_lap_number
where r.session_type = 'race'
  and {{ incremental_test_filter(ref('fct_session_results'), 'r.session_id') }}
  and r.best_lap_ms is not null
  and (r.best_lap_ms <> f.fastest_ms or l.lap_time_ms is distinct from r.best_lap_ms)
