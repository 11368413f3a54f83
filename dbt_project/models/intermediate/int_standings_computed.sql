{#- A table: both season standings models and the tests read it. -#}
{{ config(materialized='table', meta={"dagster": {"group": "season"}}) }}
{#-
  Championship standings after every race of a series season, per class, for drivers and car
  entries, from the results with their drop flags (int_competitor_results_dropped).
  - Order: points counted, then countback (most wins, then most 2nds, and so on), by comparing
    the sorted class positions as 3-digit strings padded with '9'; equal position only when both are equal.
  Series seasons without a points system have no standings.
-#}
with

flagged as (
    select * from {{ ref('int_competitor_results_dropped') }}
),

aggregated as (
    select
        competitor_type,
        competitor_id,
        {{ any_value('driver_id') }} as driver_id,
        series_id,
        season,
        class_id,
        round_number,
        {{ any_value('after_session_id') }} as after_session_id,
        -- The car of the round's last race; a driver in two cars of that race (a swap): the higher
        -- number, so the choice does not depend on the engine's order of the tie.
        {{ arg_max('team_id', ['race_number', 'car_number']) }} as team_id,
        {{ arg_max('car_number', ['race_number', 'car_number']) }} as car_number,
        {{ arg_max('car_id', ['race_number', 'car_number']) }} as car_id,
        sum(points) as points,
        sum(race_points) as race_points,
        sum(qualifying_points) as qualifying_points,
        sum(case when dropped then 0 else points end) as points_counted,
        count(*) filter (where dropped) as results_dropped,
        count(*) filter (where class_position = 1) as wins,
        count(*) filter (where class_position <= 3) as podiums,
        count(*) filter (where took_pole) as poles,
        count(*) filter (where set_fastest_lap) as fastest_laps,
        count(*) filter (where started) as starts,
        rpad(
            coalesce(string_agg(lpad(cast(class_position as varchar), 3, '0'), '' order by class_position), ''),
            300,
            '9'
        ) as countback_key
    from flagged
    group by competitor_type, competitor_id, series_id, season, class_id, round_number
),

final as (
    select
        aggregated.*,
        cast(rank() over standings as integer) as position,
        max(points_counted) over (partition by competitor_type, series_id, season, class_id, round_number)
            - points_counted as gap_to_leader
    from aggregated
    window standings as (
        partition by competitor_type, series_id, season, class_id, round_number
        order by points_counted desc nulls last, countback_key asc
    )
)

select * from final
