{#-
  What the official files say that breaks an expectation about them: one row per finding, never a
  reason to fail a build (each check has a dbt test of severity warn, data_quality_findings.yml).
  The warehouse's own integrity (keys, relationships, one row per grain, points by their rules) is
  tested with severity error on the models themselves.

  Incremental like fct_laps (macros/incremental.sql): a build replaces the changed sessions' findings.
-#}
{{ incremental_by_session() }}
-- depends_on: {{ ref('int_sessions_changed') }}
with

sessions as (
    select sessions.session_id, sessions.series_id, sessions.season, sessions.event_id, sessions.session_name,
           sessions.session_type, events.event_name
    from {{ ref('dim_sessions') }} as sessions
    join {{ ref('dim_events') }} as events on events.event_id = sessions.event_id
    {% if is_incremental() %}where sessions.session_id in {{ changed_sessions() }}{% endif %}
),

results as (
    select * from {{ ref('fct_session_results') }}
    where session_id in (select sessions.session_id from sessions)
),

laps as (
    select * from {{ ref('fct_laps') }}
    where session_id in (select sessions.session_id from sessions)
),

car_laps as (
    select
        session_id,
        car_number,
        count(*) filter (where lap_number >= 1) as time_card_laps,
        min(lap_time_ms) filter (where lap_number >= 1 and not is_deleted) as fastest_valid_ms,
        {{ arg_min('lap_number', ['lap_time_ms', 'lap_number'], where='lap_number >= 1 and not is_deleted') }}
            as fastest_valid_lap_number,
        {{ any_value('source_file_path') }} as source_file_path
    from laps
    group by session_id, car_number
),

deleted_laps as (
    select
        'lap_deleted_by_race_control' as check_name,
        laps.session_id,
        laps.car_number,
        laps.lap_number,
        'no lap faster than the official best lap (' || {{ lap_time_text('results.best_lap_ms') }}
            || ') without an improvement mark' as expected,
        'lap ' || cast(laps.lap_number as varchar) || ' in ' || {{ lap_time_text('laps.lap_time_ms') }}
            || ', improvement mark 0: deleted by race control' as found,
        laps.source_file_path
    from laps
    join results on results.session_id = laps.session_id and results.car_number = laps.car_number
    where laps.is_deleted
),

best_lap_mismatches as (
    -- The classification's best lap is a valid time-card lap: same time, on the lap number it gives.
    select
        'best_lap_not_in_time_cards' as check_name,
        results.session_id,
        results.car_number,
        results.best_lap_number as lap_number,
        'best lap ' || {{ lap_time_text('results.best_lap_ms') }}
            || coalesce(' on lap ' || cast(results.best_lap_number as varchar), '')
            || ' (classification)' as expected,
        'time cards: ' || coalesce(
            'lap ' || cast(results.best_lap_number as varchar)
                || ' in ' || {{ lap_time_text('on_number.lap_time_ms') }},
            'no lap ' || coalesce(cast(results.best_lap_number as varchar), '')
        )
            || '; fastest valid lap ' || {{ lap_time_text('car_laps.fastest_valid_ms') }}
            || ' on lap ' || cast(car_laps.fastest_valid_lap_number as varchar) as found,
        results.source_file_path
    from results
    join car_laps on car_laps.session_id = results.session_id and car_laps.car_number = results.car_number
    left join laps as on_number
        on on_number.session_id = results.session_id and on_number.car_number = results.car_number
        and on_number.lap_number = results.best_lap_number
    where results.best_lap_ms is not null
      and (car_laps.fastest_valid_ms is distinct from results.best_lap_ms
           or (results.best_lap_number is not null and on_number.lap_time_ms is distinct from results.best_lap_ms))
),

sessions_with_time_cards as (
    select distinct session_id from car_laps
),

lap_count_mismatches as (
    -- A race classification's laps are the car's laps in the time cards.
    select
        'race_laps_differ_from_time_cards' as check_name,
        results.session_id,
        results.car_number,
        cast(null as integer) as lap_number,
        cast(coalesce(results.laps, 0) as varchar) || ' laps (classification)' as expected,
        cast(coalesce(car_laps.time_card_laps, 0) as varchar) || ' laps in the time cards' as found,
        results.source_file_path
    from results
    join sessions on sessions.session_id = results.session_id
    left join car_laps on car_laps.session_id = results.session_id and car_laps.car_number = results.car_number
    where sessions.session_type = 'race'
      and results.session_id in (select sessions_with_time_cards.session_id from sessions_with_time_cards)
      and coalesce(results.laps, 0) <> coalesce(car_laps.time_card_laps, 0)
),

class_leaders as (
    -- The cars on the best finishing position of their class in a race: one, unless the file repeats a position.
    select session_id, class_id, string_agg(car_number, ', ' order by car_number) as cars,
           {{ any_value('finish_position') }} as finish_position,
           {{ any_value('source_file_path') }} as source_file_path
    from (
        select results.*, min(results.finish_position) over (partition by session_id, results.class_id) as best_in_class
        from results
        join sessions using (session_id)
        where sessions.session_type = 'race' and results.finish_position is not null and results.status <> 'not_started'
    ) as race_results
    where finish_position = best_in_class
    group by session_id, class_id
    having count(*) > 1
),

shared_class_wins as (
    select
        'class_winner_not_unique' as check_name,
        session_id,
        cast(null as varchar) as car_number,
        cast(null as integer) as lap_number,
        'one class winner' as expected,
        'cars ' || cars || ' share position ' || cast(finish_position as varchar) as found,
        source_file_path
    from class_leaders
),

grids_reported as (
    select distinct session_id from results where grid_source = 'grid report'
),

grid_gaps as (
    -- A race with a grid report lists every car that started.
    select
        'started_without_grid_position' as check_name,
        results.session_id,
        results.car_number,
        cast(null as integer) as lap_number,
        'a grid position (the race has a grid report)' as expected,
        'car ' || results.car_number || ' ' || results.status || ', not on the grid' as found,
        results.source_file_path
    from results
    where results.session_id in (select grids_reported.session_id from grids_reported)
      and results.status <> 'not_started' and results.grid_position is null
),

untyped_sessions as (
    select
        'session_name_untyped' as check_name,
        session_id,
        cast(null as varchar) as car_number,
        cast(null as integer) as lap_number,
        'a session name a rule of the session_types seed knows' as expected,
        'session ''' || session_name || ''': typed other' as found,
        cast(null as varchar) as source_file_path
    from sessions
    where session_type = 'other'
),

findings as (
    select * from deleted_laps
    union all
    select * from best_lap_mismatches
    union all
    select * from lap_count_mismatches
    union all
    select * from shared_class_wins
    union all
    select * from grid_gaps
    union all
    select * from untyped_sessions
),

final as (
    select
        findings.check_name,
        sessions.series_id,
        sessions.season,
        sessions.event_id,
        sessions.event_name,
        findings.session_id,
        sessions.session_name,
        findings.car_number,
        findings.lap_number,
        findings.expected,
        findings.found,
        findings.source_file_path
    from findings
    join sessions on sessions.session_id = findings.session_id
)

select * from final
