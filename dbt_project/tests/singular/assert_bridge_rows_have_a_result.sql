{{ config(meta={'dagster': {'ref': {'name': 'bridge_session_result_drivers'}}}) }}
-- Every driver of a car in a session belongs to a result row of that car in that session.
select b.session_id, b.car_number
from {{ ref('bridge_session_result_drivers') }} as b
left join {{ ref('fct_session_results') }} as r on r.session_id = b.session_id and r.car_number = b.car_number
where r.session_id is null
