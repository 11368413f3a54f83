{#- A table, not a view: the standings, fct_session_results and the tests each read it, and each
    read of a view would score, rank and drop every race of history again. Incremental by series
    season (macros/incremental.sql): drops are counted within a season. -#}
{{ incremental_by_session(whole_seasons=true) }}
-- depends_on: {{ ref('int_sessions_changed') }}
-- depends_on: {{ ref('int_sessions_identified') }}
{% if is_incremental() %}{% set scope = changed_season_sessions(this) %}{% endif %}
{#-
  Every competitor result of a series season as it stands after each race (round) of the season.
  - round_number: the race's order within the series season (races in the warehouse, by start time).
  - Drops: a series counts each competitor's best (season races - `drop_lowest`) results, and the
    season's last `undroppable_last_races` races always count. After a round, a competitor with more
    results than that drops the excess (at most `drop_lowest`): its lowest-scoring droppable results,
    earliest first on equal points. A competitor with fewer results drops nothing (a race missed is
    the lowest result, dropped first). At the season's last round this is the `drop_lowest` lowest.
    Only races the competitor entered count as results.
  Series seasons without a points system have no rows.
-#}
with

results as (
    select * from {{ ref('int_competitor_race_results') }}
    where has_points_system
    {% if is_incremental() %}and session_id in {{ scope }}{% endif %}
),

rounds as (
    select distinct series_id, season, race_number as round_number, session_id as after_session_id
    from results
),

expanded as (
    select rounds.round_number, rounds.after_session_id, results.*
    from rounds
    join results
        on results.series_id = rounds.series_id
        and results.season = rounds.season
        and results.race_number <= rounds.round_number
),

drop_ranked as (
    select
        expanded.*,
        race_number > last_race_number - undroppable_last_races as undroppable,
        row_number() over (
            partition by competitor_type, competitor_id, series_id, season, class_id, round_number,
                (race_number > last_race_number - undroppable_last_races)
            order by points, race_number
        ) as low_rank,
        count(*) over (
            partition by competitor_type, competitor_id, series_id, season, class_id, round_number
        ) as results_so_far
    from expanded
),

final as (
    select
        -- every column but low_rank and results_so_far
        round_number, after_session_id,
        competitor_type, competitor_id, driver_id, session_id, car_number, series_id, season, class_id, team_id,
        car_id, race_number, start_at, last_race_number, status, started, class_position, positions_gained,
        took_pole, set_fastest_lap, has_points_system, race_points, qualifying_points, points, drop_lowest,
        undroppable_last_races,
        undroppable,
        not undroppable
            and low_rank <= least(drop_lowest, greatest(0, results_so_far - (last_race_number - drop_lowest)))
            as dropped,
        round_number = max(round_number) over (partition by series_id, season) as is_latest_round
    from drop_ranked
)

select * from final
{{ whole_seasons_order() }}
