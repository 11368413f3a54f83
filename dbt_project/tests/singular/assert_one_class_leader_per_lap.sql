-- At the end of every lap each class has exactly one leader in the running order.
select session_id, class_id, lap_number, count(*) filter (where is_class_leader) as leaders
from {{ ref('fct_laps') }}
where {{ incremental_test_filter(ref('fct_laps')) }}  -- macros/test_scope.sql
group by session_id, class_id, lap_number
having count(*) filter (where is_class_leader) <> 1
