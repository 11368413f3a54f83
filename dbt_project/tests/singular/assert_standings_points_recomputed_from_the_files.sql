{{ config(meta={'dagster': {'ref': {'name': 'season_team_standings'}}}) }}
-- After every round, each car entry's standings points equal the sum of its race points and of the
-- qualifying points that count at its races, scored again from the delivered classifications, grids
-- and the points seeds (macros/test_recompute.sql), and
-- the points counted equal that sum less the lowest droppable results the rule drops (results beyond
-- the best (season races - drop_lowest), never the season's last undroppable races): a sort of the
-- points, not the model's row_number(). Replaces a test that summed the model's own input again.
-- Proven able to fail: tests/integration/test_dbt_tests_fail.py.
with
races as (select * from ({{ recomputed_race_points() }}) as recomputed where has_points_system
),

qualifying as (
    select round_session_id, car_number, class_name, sum(points) as points
    from ({{ recomputed_qualifying_points() }}) as recomputed
    group by round_session_id, car_number, class_name
),

entries as (
    -- which car entry (car_id) each race result belongs to: identity, not points
    select session_id, car_number, car_id from {{ ref('fct_session_results') }} where session_type = 'race'
),

results as (
    select entries.car_id as driver_id, races.series_id, races.season,
           {{ surrogate_key(['races.series_id', 'races.class_name']) }} as class_id,
           races.race_number, races.points + coalesce(qualifying.points, 0) as points,
           races.drop_lowest, races.last_race_number,
           races.race_number > races.last_race_number - races.undroppable_last_races as undroppable
    from races
    join entries on entries.session_id = races.session_id and entries.car_number = races.car_number
    left join qualifying
        on qualifying.round_session_id = races.session_id and qualifying.car_number = races.car_number
        and qualifying.class_name is not distinct from races.class_name
),

rounds as (select distinct series_id, season, race_number as round_number from races),

so_far as (
    select results.driver_id, results.series_id, results.season, results.class_id, rounds.round_number,
           sum(results.points) as points, count(*) as n,
           {{ sorted_list_agg('results.points', 'not results.undroppable') }} as droppable,
           {{ any_value('results.drop_lowest') }} as drop_lowest,
           {{ any_value('results.last_race_number') }} as last_race_number
    from results
    join rounds on rounds.series_id = results.series_id and rounds.season = results.season
        and results.race_number <= rounds.round_number
    group by results.driver_id, results.series_id, results.season, results.class_id, rounds.round_number
),

expected as (
    select
        *,
        points - coalesce(
            {{ list_sum_first('droppable', results_to_drop('n', 'drop_lowest', 'last_race_number')) }}, 0
        ) as points_counted
    from so_far
)

-- (results' driver_id column holds the car entry's car_id: the shape of the recomputation is shared)
select standings.car_id, standings.series_id, standings.season, standings.class_id, standings.round_number,
       standings.points, standings.points_counted,
       expected.driver_id as expected_car_id, expected.points as expected_points,
       expected.points_counted as expected_points_counted
from {{ ref('season_team_standings') }} as standings
full join expected
    on expected.driver_id = standings.car_id and expected.series_id = standings.series_id
    and expected.season = standings.season
    and expected.class_id = standings.class_id and expected.round_number = standings.round_number
where standings.car_id is null or expected.driver_id is null
   or standings.points is distinct from expected.points
   or standings.points_counted is distinct from expected.points_counted
