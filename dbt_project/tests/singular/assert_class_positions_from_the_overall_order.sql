{{ config(meta={'dagster': {'ref': {'name': 'fct_session_results'}}}) }}
-- Every car's position in class equals the one derived again from the delivered classification
-- (staging, seeds): the cars of its class at or ahead of it in the overall order, non-starters and
-- cars without a position not counted (alkamel.md; macros/test_recompute.sql). Replaces a check of
-- 1..n without gaps, which row_number() guaranteed whatever order it numbered.
-- Proven able to fail: tests/integration/test_dbt_tests_fail.py.
with
expected as (
    select session_id, car_number, class_position as expected_class_position
    from ({{ recomputed_class_positions() }}) as recomputed
    where {{ incremental_test_filter(ref('fct_session_results')) }}  -- macros/test_scope.sql
),

results as (
    select session_id, car_number, class_position from {{ ref('fct_session_results') }}
    where {{ incremental_test_filter(ref('fct_session_results')) }}
)

-- The failing rows whole: the USING keys coalesced, then both sides' columns.
select *  -- noqa: RF02
from results
full join expected using (session_id, car_number)
where results.session_id is null or expected.session_id is null
   or results.class_position is distinct from expected.expected_class_position
