{#-
  Championship points of every car in every scoring session (races, and qualifying where the series
  season awards points for it), from the rules in the seeds:
  - which sessions score, and on which scale (`scoring_sessions`: the first rule, in rule_order, that
    matches the session's series season, type, event and part; a rule with no scale: no points);
  - position points by class position on the session's scale (`points_scales`), class-specific rows
    over `*` rows;
  - in races, a pole bonus to the class pole-sitter (class grid position 1) and a fastest-lap bonus
    to the car with the fastest race lap of its class (`points_systems`); non-starters get the
    system's non_starter_points and no bonus; a disqualified car scores 0;
  - a non-points entry (`non_scoring_entries`) scores nothing and the cars behind it in class move up
    a place for the points, as the officials count it;
  - a round a class does not count (`scoring_exclusions`: an endurance- or sprint-cup-only round, a
    non-points round) scores nothing for that class, and says why;
  - the round of a session: a race is its own round; a qualifying session counts at the next race of
    the series season (the Daytona qualifying race at the Roar counts at the 24 Hours);
  - a series season without a points system, or a session no rule makes score, gets null points.
  An incremental table (macros/incremental.sql) by series season, like int_session_results_ranked
  it reads: a race's pole bonus follows a grid that may come from another session of its event.
-#}
{{ incremental_by_session('session_key', whole_seasons=true) }}
-- depends_on: {{ ref('int_sessions_changed') }}
{% if is_incremental() %}{% set scope = changed_season_sessions(this, 'session_key') %}{% endif %}
with

results as (
    select * from {{ ref('int_session_results_ranked') }}
    {% if is_incremental() %}where session_key in {{ scope }}{% endif %}
),

sessions as (
    select session_id, series_id, season, event_name, session_type, session_part, start_at
    from {{ ref('int_sessions_identified') }}
),

rules as (
    select * from {{ ref('scoring_sessions') }}
),

exclusions as (
    select * from {{ ref('scoring_exclusions') }}
),

systems as (
    select * from {{ ref('points_systems') }}
),

scales as (
    select * from {{ ref('points_scales') }}
),

session_rules as (
    -- The first scoring rule that matches each session (event and part matched in lower case).
    select
        sessions.session_id,
        rules.points_scale,
        row_number() over (partition by sessions.session_id order by rules.rule_order) as rule_rank
    from sessions
    join rules
        on rules.series_id = sessions.series_id
        and sessions.season between rules.season_from and rules.season_to
        and rules.session_type = sessions.session_type
        and (rules.event_pattern is null or {{ regexp_matches('lower(sessions.event_name)', 'rules.event_pattern') }})
        and (
            rules.part_pattern is null
            or {{ regexp_matches("lower(coalesce(sessions.session_part, ''))", 'rules.part_pattern') }}
        )
),

rounds as (
    -- The race each scoring session counts at: a race itself, a qualifying session the next race.
    select
        scoring.session_id,
        scoring.points_scale,
        races.session_id as round_session_id,
        races.event_name as round_event_name,
        row_number() over (partition by scoring.session_id order by races.start_at, races.session_id) as race_rank
    from session_rules as scoring
    join sessions on sessions.session_id = scoring.session_id
    left join sessions as races
        on races.series_id = sessions.series_id
        and races.season = sessions.season
        and races.session_type = 'race'
        and races.start_at >= sessions.start_at
    where scoring.rule_rank = 1 and scoring.points_scale is not null
),

non_scoring as (
    select distinct drivers.session_key, drivers.car_number, entries.reason
    from {{ ref('int_drivers_identified') }} as drivers
    join results on results.session_key = drivers.session_key and results.car_number = drivers.car_number
    join {{ ref('non_scoring_entries') }} as entries
        on entries.series_id = results.series_id
        and entries.season = results.season
        and {{ name_key('entries.driver_name') }} = drivers.name_key
),

eligible_ranked as (
    -- Class positions among the cars that can score.
    select
        results.session_key,
        results.car_number,
        case when results.class_position is not null then row_number() over (
            partition by results.session_key, results.class_name, results.class_position is null
            order by results.class_position
        ) end as eligible_class_position
    from results
    left join non_scoring
        on non_scoring.session_key = results.session_key and non_scoring.car_number = results.car_number
    where non_scoring.car_number is null
),

scored_results as (
    select
        results.*,
        rounds.points_scale,
        rounds.round_session_id,
        rounds.round_event_name,
        min(results.best_lap_ms) filter (where results.status <> 'not_started') over (
            partition by results.session_key, results.class_name
        ) as class_fastest_lap_ms,
        -- Qualifying scores every car of the class, those without a position (no time, not started)
        -- behind the rest: 2022's LMP3 #54 did not start the Daytona qualifying race and scored 9th's points.
        case when rounds.points_scale = 'race' then eligible_ranked.eligible_class_position
             else row_number() over (
                 partition by results.session_key, results.class_name
                 order by results.class_position nulls last, results.finish_position nulls last, results.car_number)
        end as scoring_position
    from results
    join rounds on rounds.session_id = results.session_key and rounds.race_rank = 1
    left join eligible_ranked
        on eligible_ranked.session_key = results.session_key and eligible_ranked.car_number = results.car_number
),

excluded as (
    -- A round the class does not count, or a non-points entry: no points, and why.
    select session_key, car_number, min(reason) as excluded_reason
    from (
        select scored_results.session_key, scored_results.car_number, exclusions.reason
        from scored_results
        join exclusions
            on exclusions.series_id = scored_results.series_id
            and exclusions.season = scored_results.season
            and exclusions.class_name = scored_results.class_name
            and {{ regexp_matches('lower(scored_results.round_event_name)', 'exclusions.event_pattern') }}
        union all
        select session_key, car_number, reason from non_scoring
    ) as reasons
    group by session_key, car_number
),

with_system as (
    select
        scored_results.*,
        excluded.excluded_reason,
        systems.pole_bonus,
        systems.fastest_lap_bonus,
        systems.drop_lowest,
        systems.undroppable_last_races,
        systems.non_starter_points,
        systems.series_id is not null as has_points_system,
        row_number() over (
            partition by scored_results.session_key, scored_results.car_number
            order by (systems.class_name = scored_results.class_name) desc nulls last
        ) as system_rank
    from scored_results
    left join excluded
        on excluded.session_key = scored_results.session_key and excluded.car_number = scored_results.car_number
    left join systems
        on systems.series_id = scored_results.series_id
        and scored_results.season between systems.season_from and systems.season_to
        and (systems.class_name = scored_results.class_name or systems.class_name = '*')
),

with_scale as (
    select
        with_system.*,
        scales.points as position_points,
        row_number() over (
            partition by with_system.session_key, with_system.car_number
            order by (scales.class_name = with_system.class_name) desc nulls last
        ) as scale_rank
    from with_system
    left join scales
        on scales.series_id = with_system.series_id
        and scales.points_scale = with_system.points_scale
        and with_system.season between scales.season_from and scales.season_to
        and (scales.class_name = with_system.class_name or scales.class_name = '*')
        and with_system.scoring_position >= scales.position_from
        and with_system.scoring_position <= coalesce(scales.position_to, with_system.scoring_position)
    where with_system.system_rank = 1
),

final as (
    select
        session_key,
        car_number,
        series_id,
        season,
        event_id,
        session_type,
        points_scale,
        round_session_id,
        class_name,
        class_id,
        team_id,
        car_id,
        status,
        positions_gained,
        class_position,
        class_grid_position,
        has_points_system and excluded_reason is null as has_points_system,
        excluded_reason,
        points_scale = 'race' and class_grid_position = 1 and status <> 'not_started' as took_pole,
        points_scale = 'race' and best_lap_ms is not null and best_lap_ms = class_fastest_lap_ms
            and status <> 'not_started' as set_fastest_lap,
        case when has_points_system and excluded_reason is null then
            case
                when status = 'not_started' and points_scale = 'race' then coalesce(non_starter_points, 0)
                when status = 'disqualified' then 0
                else coalesce(position_points, 0)
            end
        end as position_points,
        case when has_points_system and excluded_reason is null then
            case when points_scale = 'race' and class_grid_position = 1 and status <> 'not_started'
                then coalesce(pole_bonus, 0) else 0 end
        end as pole_points,
        case when has_points_system and excluded_reason is null then
            case
                when points_scale = 'race' and best_lap_ms = class_fastest_lap_ms
                    and status not in ('not_started', 'disqualified')
                    then coalesce(fastest_lap_bonus, 0)
                else 0
            end
        end as fastest_lap_points,
        coalesce(drop_lowest, 0) as drop_lowest,
        coalesce(undroppable_last_races, 0) as undroppable_last_races
    from with_scale
    where scale_rank = 1
)

select
    *,
    position_points + pole_points + fastest_lap_points as points
from final
{{ whole_seasons_order() }}
