{{ config(meta={'dagster': {'ref': {'name': 'fct_session_results'}}}) }}
-- A race result counts all its points, or none of them when it is one of the entry's dropped results.
select session_id, car_number, points, points_counted, points_dropped
from {{ ref('fct_session_results') }}
where session_type = 'race'
  and points_counted is distinct from (case when points_dropped then 0 else points end)
