{#-
  The officials' standings (official_standings) against the warehouse's own points, row for row:
  for every official row (championship, competitor, session), the warehouse's points for the same
  competitor in the same session and in total after the same round, the difference, and a reason
  whenever the difference is not 0.
  - Session: an official session is matched to the warehouse's session of the same series season
    whose event name contains the official event name (or shares its circuit, through the
    circuit_aliases seed), of the same kind (a qualifying session; a race, `Race` or `Round N`),
    the Nth of its kind at that event when the official list holds N of them there. An endurance
    cup's session is a checkpoint (`Hour 4`, `Finish`) of the event's race, scored in
    marts.endurance_cup_checkpoints.
  - Competitor: a drivers' championship names the person (name key), a teams' one the car number.
    A driver's points in a session are the car's when the driver took part in the round
    (int_competitor_race_results: a driver who did not drive scores nothing), else 0.
  - Totals: the warehouse's standings after the same round (season_driver_standings,
    season_team_standings; endurance_cup_standings for the endurance cup).
  - Reasons, first that applies: no results file for that session in the warehouse; no hour report
    or time cards for that checkpoint in the warehouse; competitor not found in that session; a
    penalty or adjustment only the official table shows (its penalty_points); points differ (a
    defect to fix, not to accept).
-#}
with

official as (
    select * from {{ ref('official_standings') }}
),

sessions as (
    select sessions.session_id, sessions.series_id, sessions.season, sessions.session_type, sessions.start_at,
           sessions.event_name, sessions.circuit_id
    from {{ ref('int_sessions_identified') }} as sessions
    where sessions.session_type in ('race', 'qualifying')
),

circuit_aliases as (
    select * from {{ ref('circuit_aliases') }}
),

official_sessions as (
    select distinct
        championship_key, series_id, season, session_index, session_event_name, session_name,
        case
            when cup <> 'endurance' and {{ regexp_matches('lower(session_name)', "'qualif'") }} then 'qualifying'
            else 'race'
        end
            as session_type,
        -- The endurance cup's sessions are checkpoints of the event's one race.
        case when cup = 'endurance' then session_name end as checkpoint
    from official
    where session_index is not null
),

official_ranked as (
    select
        official_sessions.*,
        case when checkpoint is not null then 1 else row_number() over (
            partition by championship_key, session_event_name, session_type, checkpoint is null order by session_index
        ) end as nth_at_event
    from official_sessions
),

warehouse_ranked as (
    select
        sessions.*,
        row_number() over (partition by series_id, season, event_name, session_type order by start_at, session_id)
            as nth_at_event
    from sessions
),

session_matches as (
    select
        official_ranked.championship_key,
        official_ranked.session_index,
        official_ranked.checkpoint,
        warehouse_ranked.session_id,
        row_number() over (
            partition by official_ranked.championship_key, official_ranked.session_index
            order by warehouse_ranked.start_at
        ) as match_rank
    from official_ranked
    join warehouse_ranked
        on warehouse_ranked.series_id = official_ranked.series_id
        and warehouse_ranked.season = official_ranked.season
        and warehouse_ranked.session_type = official_ranked.session_type
        and warehouse_ranked.nth_at_event = official_ranked.nth_at_event
        and (
            strpos(lower(warehouse_ranked.event_name), lower(official_ranked.session_event_name)) > 0
            or warehouse_ranked.circuit_id in (
                select circuit_id from circuit_aliases
                where lower(alias) = lower(official_ranked.session_event_name)
            )
        )
),

results as (
    -- Points per session and car: a session's own, and the endurance cup's at each checkpoint.
    select session_id, cast(null as varchar) as checkpoint, car_number, class_id, points
    from {{ ref('fct_session_results') }}
    union all
    select session_id, checkpoint, car_number, class_id, points
    from {{ ref('endurance_cup_checkpoints') }}
),

checkpoints_held as (
    select distinct session_id, checkpoint from {{ ref('endurance_cup_checkpoints') }}
),

classes as (
    select class_id, series_id, class_name from {{ ref('dim_classes') }}
),

drivers as (
    select driver_id, {{ driver_name_key('first_name', 'last_name') }} as name_key from {{ ref('dim_drivers') }}
),

driver_sessions as (
    select bridge.session_id, bridge.car_number, drivers.name_key, bridge.driver_id
    from {{ ref('bridge_session_result_drivers') }} as bridge
    join drivers on drivers.driver_id = bridge.driver_id
),

rounds_taken_part as (
    -- The rounds each driver took part in (a driver who did not drive has no row).
    select distinct competitor_id as driver_id, session_id as round_session_id, car_number
    from {{ ref('int_competitor_race_results') }}
    where competitor_type = 'driver'
),

scored_sessions as (
    select session_key as session_id, car_number, round_session_id
    from {{ ref('int_session_results_scored') }}
),

warehouse_points as (
    -- Per official row: the warehouse's points of that competitor in the matched session.
    select
        official.championship_key,
        official.competitor_key,
        official.session_index,
        count(results.car_number) > 0 as competitor_found,
        sum(case
            when official.championship_kind = 'teams' then results.points
            when rounds_taken_part.driver_id is not null then results.points
            else 0
        end) as points
    from official
    join session_matches
        on session_matches.championship_key = official.championship_key
        and session_matches.session_index = official.session_index
        and session_matches.match_rank = 1
    join results
        on results.session_id = session_matches.session_id
        and results.checkpoint is not distinct from session_matches.checkpoint
    join classes on classes.class_id = results.class_id and classes.class_name = official.class_name
    left join driver_sessions
        on official.championship_kind = 'drivers'
        and driver_sessions.session_id = results.session_id
        and driver_sessions.car_number = results.car_number
    left join scored_sessions
        on scored_sessions.session_id = results.session_id and scored_sessions.car_number = results.car_number
    left join rounds_taken_part
        on rounds_taken_part.driver_id = driver_sessions.driver_id
        and rounds_taken_part.round_session_id = scored_sessions.round_session_id
        and rounds_taken_part.car_number = results.car_number
    where (official.championship_kind = 'teams' and results.car_number = official.competitor_key)
       or (official.championship_kind = 'drivers'
           and driver_sessions.name_key = {{ name_key('official.competitor_key') }})
    group by official.championship_key, official.competitor_key, official.session_index
),

standings as (
    select 'main' as cup, 'drivers' as championship_kind, s.series_id, s.season, c.class_name, s.after_session_id,
           {{ driver_name_key('d.first_name', 'd.last_name') }} as competitor_match, s.points
    from {{ ref('season_driver_standings') }} as s
    join {{ ref('dim_drivers') }} as d using (driver_id)
    join classes as c using (class_id)
    union all
    select 'main', 'teams', s.series_id, s.season, c.class_name, s.after_session_id, s.car_number, s.points
    from {{ ref('season_team_standings') }} as s
    join classes as c using (class_id)
    union all
    select 'endurance', case s.competitor_type when 'car' then 'teams' else 'drivers' end,
           s.series_id, s.season, c.class_name, s.after_session_id,
           case when s.competitor_type = 'car' then s.car_number
                else {{ driver_name_key('d.first_name', 'd.last_name') }} end,
           s.points
    from {{ ref('endurance_cup_standings') }} as s
    join classes as c using (class_id)
    left join {{ ref('dim_drivers') }} as d using (driver_id)
),

round_of_file as (
    -- The last race the warehouse holds of the round the official file was published after.
    select
        official.championship_key,
        {{ arg_max('session_matches.session_id', 'session_matches.session_index') }} as after_session_id
    from (select distinct championship_key, session_index, session_type from official_ranked) as official
    join session_matches
        on session_matches.championship_key = official.championship_key
        and session_matches.session_index = official.session_index
        and session_matches.match_rank = 1
    where official.session_type = 'race'
    group by official.championship_key
),

final as (
    select
        official.championship_key,
        official.series_id,
        official.season,
        official.championship_title,
        official.championship_kind,
        official.class_name,
        official.cup,
        official.after_event_name,
        round_of_file.after_session_id,
        official.competitor_key,
        official.position as official_position,
        official.session_index,
        official.session_event_name,
        official.session_name,
        session_matches.session_id,
        official.session_points as official_points,
        official.penalty_points as official_penalty_points,
        warehouse_points.points as warehouse_points,
        coalesce(official.session_points, 0) - coalesce(warehouse_points.points, 0) as difference,
        official.total_points as official_total_points,
        standings.points as warehouse_total_points,
        case
            when coalesce(official.session_points, 0) = coalesce(warehouse_points.points, 0) then null
            when session_matches.session_id is null then 'no results file for that session in the warehouse'
            when session_matches.checkpoint is not null and checkpoints_held.session_id is null
                then 'no hour report or time cards for that checkpoint in the warehouse'
            when not coalesce(warehouse_points.competitor_found, false) then 'competitor not found in that session'
            when coalesce(official.penalty_points, 0) <> 0
                and coalesce(official.session_points, 0) - coalesce(warehouse_points.points, 0)
                    = official.penalty_points
                then 'a penalty or adjustment only the official table shows'
            else 'points differ'
        end as reason,
        official.source_file_path
    from official
    left join session_matches
        on session_matches.championship_key = official.championship_key
        and session_matches.session_index = official.session_index
        and session_matches.match_rank = 1
    left join warehouse_points
        on warehouse_points.championship_key = official.championship_key
        and warehouse_points.competitor_key = official.competitor_key
        and warehouse_points.session_index = official.session_index
    left join checkpoints_held
        on checkpoints_held.session_id = session_matches.session_id
        and checkpoints_held.checkpoint = session_matches.checkpoint
    left join round_of_file on round_of_file.championship_key = official.championship_key
    left join standings
        on standings.cup = official.cup
        and standings.championship_kind = official.championship_kind
        and standings.series_id = official.series_id
        and standings.season = official.season
        and standings.class_name = official.class_name
        and standings.after_session_id = round_of_file.after_session_id
        and standings.competitor_match = case when official.championship_kind = 'drivers'
            then {{ name_key('official.competitor_key') }} else official.competitor_key end
)

select * from final
