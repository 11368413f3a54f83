{{ config(meta={'dagster': {'ref': {'name': 'season_driver_standings'}}}) }}
-- Every class has a leader after every round; two leaders only when they are equal on points and on
-- countback (the standings order leaves no other way to share first place).
with leaders as (
    select series_id, season, class_id, round_number, count(*) as leaders,
           count(distinct points_counted) as distinct_points
    from {{ ref('season_driver_standings') }}
    where position = 1
    group by all
),
rounds as (
    select distinct series_id, season, class_id, round_number from {{ ref('season_driver_standings') }}
)
select rounds.*, coalesce(leaders.leaders, 0) as leaders
from rounds
left join leaders using (series_id, season, class_id, round_number)
where coalesce(leaders.leaders, 0) = 0 or leaders.distinct_points > 1
