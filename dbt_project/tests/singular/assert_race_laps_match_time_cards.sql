{{ config(meta={'dagster': {'ref': {'name': 'fct_session_results'}}}) }}
-- A race classification's laps equal the car's laps in the time cards (when the session has time cards).
with laps as (
    select session_id, car_number, count(*) as time_card_laps
    from {{ ref('fct_laps') }}
    where {{ incremental_test_filter(ref('fct_laps')) }}  -- macros/test_scope.sql
    group by session_id, car_number
),
sessions_with_time_cards as (
    select distinct session_id from {{ ref('fct_laps') }}
    where {{ incremental_test_filter(ref('fct_laps')) }}
)
select r.session_id, r.car_number, r.laps, coalesce(l.time_card_laps, 0) as time_card_laps
from {{ ref('fct_session_results') }} r
left join laps l on l.session_id = r.session_id and l.car_number = r.car_number
where r.session_type = 'race'
  and r.session_id in (select session_id from sessions_with_time_cards)
  and coalesce(r.laps, 0) <> coalesce(l.time_card_laps, 0)
