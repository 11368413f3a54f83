{{ config(meta={'dagster': {'ref': {'name': 'season_driver_standings'}}}) }}
-- After every round, a driver's standings points equal the sum of the points of their results up to
-- that round, and points counted equal that sum minus the dropped results.
with results as (
    select
        r.competitor_id as driver_id, r.series_id, r.season, r.class_id, r.round_number,
        sum(r.points) as result_points,
        sum(case when r.dropped then 0 else r.points end) as counted_points
    from {{ ref('int_competitor_results_dropped') }} r
    where r.competitor_type = 'driver'
    group by all
)
select s.driver_id, s.series_id, s.season, s.class_id, s.round_number, s.points, s.points_counted,
       results.result_points, results.counted_points
from {{ ref('season_driver_standings') }} s
left join results
    on results.driver_id = s.driver_id and results.series_id = s.series_id and results.season = s.season
    and results.class_id = s.class_id and results.round_number = s.round_number
where s.points is distinct from results.result_points or s.points_counted is distinct from results.counted_points
