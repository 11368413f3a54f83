{#-
  The endurance cup's points: every car of an endurance race at each checkpoint the
  endurance_checkpoints seed gives the race's event, scored on the `endurance` scale of
  points_scales by its class order at that checkpoint. The class order comes from, first that exists:
  - `race classification`: the finish, the race's own classification (class position; cars without
    one behind, in finishing order);
  - `hour report`: the `Hour N` report of the race (a checkpoint session of the same event and
    start, its class positions);
  - `time cards`: the running order after N hours of racing, from the race's time cards: laps
    completed by then (ELAPSED at most N hours), the car that completed its last one first ahead.
  A checkpoint with none of the three gets no rows (the reconciliation says why). Every car that
  started scores: the scale's last row covers every other car, one that retired early included; a
  disqualified car scores 0.
-#}
with

checkpoints as (
    select * from {{ ref('endurance_checkpoints') }}
),

scales as (
    select * from {{ ref('points_scales') }}
    where points_scale = 'endurance'
),

sessions as (
    select session_id, series_id, season, event_id, event_name, session_type, session_part, start_at
    from {{ ref('int_sessions_identified') }}
),

results as (
    select * from {{ ref('int_session_results_ranked') }}
),

race_checkpoints as (
    -- Each endurance race with the checkpoints of its event.
    select
        races.session_id,
        races.series_id,
        races.season,
        races.event_id,
        races.start_at,
        checkpoints.checkpoint_order,
        checkpoints.checkpoint,
        checkpoints.hours
    from sessions as races
    join checkpoints
        on checkpoints.series_id = races.series_id
        and races.season between checkpoints.season_from and checkpoints.season_to
        and {{ regexp_matches('lower(races.event_name)', 'checkpoints.event_pattern') }}
    where races.session_type = 'race'
),

starters as (
    select session_key as session_id, car_number, class_name, class_id, team_id, car_id, status,
           class_position, finish_position
    from results
    where session_type = 'race' and status <> 'not_started'
),

at_finish as (
    select
        race_checkpoints.session_id,
        race_checkpoints.checkpoint,
        starters.car_number,
        'race classification' as basis,
        row_number() over (
            partition by race_checkpoints.session_id, race_checkpoints.checkpoint, starters.class_name
            order by starters.class_position nulls last, starters.finish_position nulls last, starters.car_number
        ) as checkpoint_position
    from race_checkpoints
    join starters on starters.session_id = race_checkpoints.session_id
    where race_checkpoints.hours is null
),

hour_reports as (
    -- The `Hour N` report of a race: a checkpoint session of the same event and start.
    select race_checkpoints.session_id, race_checkpoints.checkpoint, reports.session_id as report_session_id
    from race_checkpoints
    join sessions as reports
        on reports.event_id = race_checkpoints.event_id
        and reports.start_at = race_checkpoints.start_at
        and reports.session_type = 'checkpoint'
        and lower(reports.session_part) = lower(race_checkpoints.checkpoint)
    where race_checkpoints.hours is not null
),

from_hour_reports as (
    select
        hour_reports.session_id,
        hour_reports.checkpoint,
        reported.car_number,
        'hour report' as basis,
        row_number() over (
            partition by hour_reports.session_id, hour_reports.checkpoint, reported.class_name
            order by reported.class_position nulls last, reported.finish_position nulls last, reported.car_number
        ) as checkpoint_position
    from hour_reports
    join results as reported on reported.session_key = hour_reports.report_session_id
    where reported.status <> 'not_started'
),

laps_by_checkpoint as (
    -- Laps each car completed within the checkpoint's hours, and when it completed the last one.
    select
        race_checkpoints.session_id,
        race_checkpoints.checkpoint,
        laps.car_number,
        count(*) as laps_completed,
        max(laps.elapsed_ms) as last_elapsed_ms
    from race_checkpoints
    join {{ ref('int_laps_ordered') }} as laps on laps.session_key = race_checkpoints.session_id
    where race_checkpoints.hours is not null
        and laps.lap_number >= 1
        and laps.elapsed_ms <= race_checkpoints.hours * 3600000
        and not exists (
            select 1 from hour_reports
            where hour_reports.session_id = race_checkpoints.session_id
                and hour_reports.checkpoint = race_checkpoints.checkpoint
        )
    group by race_checkpoints.session_id, race_checkpoints.checkpoint, laps.car_number
),

from_time_cards as (
    select
        checkpointed.session_id,
        checkpointed.checkpoint,
        starters.car_number,
        'time cards' as basis,
        row_number() over (
            partition by checkpointed.session_id, checkpointed.checkpoint, starters.class_name
            order by checkpoint_laps.laps_completed desc nulls last, checkpoint_laps.last_elapsed_ms asc,
                starters.car_number asc
        ) as checkpoint_position
    from (select distinct session_id, checkpoint from laps_by_checkpoint) as checkpointed
    join starters on starters.session_id = checkpointed.session_id
    left join laps_by_checkpoint as checkpoint_laps
        on checkpoint_laps.session_id = checkpointed.session_id
        and checkpoint_laps.checkpoint = checkpointed.checkpoint
        and checkpoint_laps.car_number = starters.car_number
),

ordered as (
    select * from at_finish
    union all
    select * from from_hour_reports
    union all
    select * from from_time_cards
),

scored as (
    select
        ordered.*,
        scales.points as scale_points,
        row_number() over (
            partition by ordered.session_id, ordered.checkpoint, ordered.car_number
            order by (scales.class_name = starters.class_name) desc nulls last
        ) as scale_rank
    from ordered
    join race_checkpoints using (session_id, checkpoint)
    join starters using (session_id, car_number)
    left join scales
        on scales.series_id = race_checkpoints.series_id
        and race_checkpoints.season between scales.season_from and scales.season_to
        and (scales.class_name = starters.class_name or scales.class_name = '*')
        and ordered.checkpoint_position >= scales.position_from
        and ordered.checkpoint_position <= coalesce(scales.position_to, ordered.checkpoint_position)
),

final as (
    select
        race_checkpoints.session_id,
        race_checkpoints.series_id,
        race_checkpoints.season,
        race_checkpoints.event_id,
        race_checkpoints.checkpoint_order,
        race_checkpoints.checkpoint,
        scored.car_number,
        starters.class_id,
        starters.class_name,
        starters.team_id,
        starters.car_id,
        scored.basis,
        scored.checkpoint_position,
        case when starters.status = 'disqualified' then 0 else coalesce(scored.scale_points, 0) end as points
    from scored
    join race_checkpoints using (session_id, checkpoint)
    join starters using (session_id, car_number)
    where scored.scale_rank = 1
)

select * from final
