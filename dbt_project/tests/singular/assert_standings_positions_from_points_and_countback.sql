{{ config(meta={'dagster': {'ref': {'name': 'season_team_standings'}}}) }}
-- Every car entry's standings position after every round is 1 + the entries of the class ahead of
-- them: more points counted, or as many and a better countback (alkamel.md: most wins, then most
-- 2nds, and so on), with the countback made again from the class positions of the delivered
-- classifications (macros/test_recompute.sql) up to that round, as sorted lists compared element by
-- element (a missing result ranks behind any position). So a class has one leader unless two are
-- equal on points and countback. Replaces a count of leaders that rank() guaranteed.
-- Proven able to fail: tests/integration/test_dbt_tests_fail.py.
with
races as (select * from ({{ recomputed_race_points() }}) as recomputed where has_points_system
),

finishes as (
    select entries.car_id as driver_id, races.series_id, races.season,
           {{ surrogate_key(['races.series_id', 'races.class_name']) }} as class_id,
           races.race_number, races.class_position
    from races
    join {{ ref('fct_session_results') }} as entries
        on entries.session_id = races.session_id and entries.car_number = races.car_number
),

-- (driver_id holds the car entry's car_id below: the shape of the recomputation is shared)
standings as (
    select series_id, season, class_id, round_number, points_counted, position, car_id as driver_id
    from {{ ref('season_team_standings') }}
),

countback as (
    select standings.driver_id, standings.series_id, standings.season, standings.class_id, standings.round_number,
           {{ any_value('standings.points_counted') }} as points_counted,
           {{ any_value('standings.position') }} as position,
           {{ list_padded(
               sorted_list_agg('finishes.class_position', 'finishes.class_position is not null'),
               '100 - count(finishes.class_position)', 999
           ) }} as countback_key
    from standings
    left join finishes
        on finishes.driver_id = standings.driver_id and finishes.series_id = standings.series_id
        and finishes.season = standings.season and finishes.class_id = standings.class_id
        and finishes.race_number <= standings.round_number
    group by standings.driver_id, standings.series_id, standings.season, standings.class_id, standings.round_number
)

select me.driver_id, me.series_id, me.season, me.class_id, me.round_number, me.position,
       1 + count(rival.driver_id) as expected_position
from countback as me
left join countback as rival
    on rival.series_id = me.series_id and rival.season = me.season and rival.class_id = me.class_id
    and rival.round_number = me.round_number
    and (
        rival.points_counted > me.points_counted
        or (rival.points_counted = me.points_counted and rival.countback_key < me.countback_key)
    )
group by me.driver_id, me.series_id, me.season, me.class_id, me.round_number, me.position
having me.position is distinct from 1 + count(rival.driver_id)
