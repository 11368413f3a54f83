-- Class positions run 1..n without gaps or repeats in every session and class.
select session_id, class_id, count(*) as cars, min(class_position) as first, max(class_position) as last,
       count(distinct class_position) as distinct_positions
from {{ ref('fct_session_results') }}
where class_position is not null
  and {{ incremental_test_filter(ref('fct_session_results')) }}  -- macros/test_scope.sql
group by session_id, class_id
having min(class_position) <> 1 or max(class_position) <> count(*) or count(distinct class_position) <> count(*)
