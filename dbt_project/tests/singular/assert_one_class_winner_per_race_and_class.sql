-- Every class with a finisher in a race has exactly one class winner.
select session_id, class_id, count(*) filter (where class_position = 1) as winners
from {{ ref('fct_session_results') }}
where session_type = 'race' and finish_position is not null and status <> 'not_started'
group by session_id, class_id
having count(*) filter (where class_position = 1) <> 1
