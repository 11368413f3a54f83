{{ config(meta={'dagster': {'ref': {'name': 'fct_session_results'}}}) }}
-- Every race result's points equal those scored again from the delivered classification and grid
-- (staging) with the points seeds (macros/test_recompute.sql: class position from the overall order,
-- points_scales, pole and fastest-lap bonuses, non-starters, disqualified); and each car entry's
-- dropped results are those the rule drops: as many as results_to_drop() (at most its droppable ones)
-- after the season's latest race, never one of its last undroppable races, and none scoring more than
-- a counted droppable one.
-- Replaces a restatement of the model's own case expression (points_counted = points unless dropped).
-- Proven able to fail: tests/integration/test_dbt_tests_fail.py.
with
expected as (
    select * from ({{ recomputed_race_points() }}) as recomputed
    where {{ incremental_test_filter(ref('fct_session_results')) }}  -- macros/test_scope.sql
),

results as (
    select * from {{ ref('fct_session_results') }}
    where session_type = 'race' and {{ incremental_test_filter(ref('fct_session_results')) }}
),

points as (
    select coalesce(results.session_id, expected.session_id) as session_id,
           coalesce(results.car_number, expected.car_number) as car_number,
           'points' as problem, results.points, expected.points as expected_points
    from results
    full join expected on expected.session_id = results.session_id and expected.car_number = results.car_number
    where results.session_id is null or expected.session_id is null or results.points is distinct from expected.points
),

entries as (
    select results.car_id, {{ any_value('expected.drop_lowest') }} as drop_lowest,
           {{ any_value('expected.last_race_number') }} as last_race_number,
           {{ any_value('expected.undroppable_last_races') }} as undroppable_last_races,
           count(*) as n,
           count(*) filter (where expected.race_number <= expected.last_race_number - expected.undroppable_last_races)
               as droppable,
           count(*) filter (where results.points_dropped) as dropped,
           count(*) filter (where results.points_dropped
                            and expected.race_number > expected.last_race_number - expected.undroppable_last_races)
               as undroppable_dropped,
           max(results.points) filter (where results.points_dropped) as highest_dropped,
           min(results.points) filter (where not results.points_dropped
                                       and expected.race_number <= expected.last_race_number
                                           - expected.undroppable_last_races)
               as lowest_counted,
           count(*) filter (
               where results.points_counted
                   is distinct from (case when results.points_dropped then 0 else results.points end)
           ) as miscounted
    from results
    join expected on expected.session_id = results.session_id and expected.car_number = results.car_number
    where expected.has_points_system
    group by results.car_id, results.class_id
),

drops as (
    select car_id as session_id, null as car_number, 'drops' as problem, dropped as points,
           least(droppable, {{ results_to_drop('n', 'drop_lowest', 'last_race_number') }}) as expected_points
    from entries
    where dropped <> least(droppable, {{ results_to_drop('n', 'drop_lowest', 'last_race_number') }})
       or undroppable_dropped > 0 or highest_dropped > lowest_counted or miscounted > 0
)

select * from points
union all
select * from drops
