{{ config(meta={'dagster': {'ref': {'name': 'season_driver_standings'}}}) }}
-- After every round, each driver's standings points equal the sum of their race points scored again
-- from the delivered classifications, grids and the points seeds (macros/test_recompute.sql), and
-- the points counted equal that sum less the lowest droppable results the rule drops (results beyond
-- the best (season races - drop_lowest), never the season's last undroppable races): a sort of the
-- points, not the model's row_number(). Replaces a test that summed the model's own input again.
-- Proven able to fail: tests/integration/test_dbt_tests_fail.py.
with
races as (select * from ({{ recomputed_race_points() }}) where has_points_system),
results as (
    select drivers.driver_id, races.series_id, races.season,
           {{ surrogate_key(['races.series_id', 'races.class_name']) }} as class_id,
           races.race_number, races.points, races.drop_lowest, races.last_race_number,
           races.race_number > races.last_race_number - races.undroppable_last_races as undroppable
    from races
    join {{ ref('bridge_session_result_drivers') }} as drivers
        on drivers.session_id = races.session_id and drivers.car_number = races.car_number
),
rounds as (select distinct series_id, season, race_number as round_number from races),
so_far as (
    select results.driver_id, results.series_id, results.season, results.class_id, rounds.round_number,
           sum(results.points) as points, count(*) as n,
           coalesce(list(results.points) filter (where not results.undroppable), []) as droppable,
           any_value(results.drop_lowest) as drop_lowest, any_value(results.last_race_number) as last_race_number
    from results
    join rounds on rounds.series_id = results.series_id and rounds.season = results.season
        and results.race_number <= rounds.round_number
    group by all
),
expected as (
    select *, points - coalesce(list_sum(list_slice(list_sort(droppable), 1,
                  {{ results_to_drop('n', 'drop_lowest', 'last_race_number') }})), 0) as points_counted
    from so_far
)
select standings.driver_id, standings.series_id, standings.season, standings.class_id, standings.round_number,
       standings.points, standings.points_counted,
       expected.driver_id as expected_driver_id, expected.points as expected_points, expected.points_counted as expected_points_counted
from {{ ref('season_driver_standings') }} as standings
full join expected
    on expected.driver_id = standings.driver_id and expected.series_id = standings.series_id and expected.season = standings.season
    and expected.class_id = standings.class_id and expected.round_number = standings.round_number
where standings.driver_id is null or expected.driver_id is null
   or standings.points is distinct from expected.points or standings.points_counted is distinct from expected.points_counted
