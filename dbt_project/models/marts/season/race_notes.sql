{#- Notable facts of every race, one row per fact and driver; each kind's definition is in race_notes.yml. -#}
{{ config(materialized='table') }}
with

results as (
    select * from {{ ref('fct_session_results') }} where session_type = 'race'
),

bridge as (
    select * from {{ ref('bridge_session_result_drivers') }}
),

sessions as (
    select * from {{ ref('dim_sessions') }}
),

drivers as (
    select * from {{ ref('dim_drivers') }}
),

teams as (
    select * from {{ ref('dim_teams') }}
),

classes as (
    select * from {{ ref('dim_classes') }}
),

series as (
    select * from {{ ref('dim_series') }}
),

standings as (
    select * from {{ ref('season_driver_standings') }}
),

lap_summary as (
    select
        session_id,
        car_number,
        cast(sum(laps_completed) as bigint) as laps,  -- a count, as before: not sum()'s HUGEINT
        cast(sum(laps_led) as bigint) as laps_led,
        bool_or(led_lap_1) as led_lap_1
    from {{ ref('int_laps_summarized') }}
    group by session_id, car_number
),

class_laps as (
    select session_id, class_id, max(last_lap_number) as class_laps
    from {{ ref('int_laps_summarized') }}
    group by session_id, class_id
),

driver_races as (
    -- one row per driver per race, only what the running counts need (windows sort every column they carry)
    select
        bridge.driver_id,
        bridge.session_id,
        bridge.car_number,
        bridge.driver_order,
        results.series_id,
        results.season,
        results.class_id,
        results.class_position,
        results.status,
        results.positions_gained,
        sessions.event_id as race_event_id,
        sessions.start_at
    from results
    join bridge on bridge.session_id = results.session_id and bridge.car_number = results.car_number
    join sessions on sessions.session_id = results.session_id
    join drivers on drivers.driver_id = bridge.driver_id
    join classes on classes.class_id = results.class_id
    join series on series.series_id = results.series_id
),

counted as (
    select
        driver_races.*,
        count(*) filter (where class_position = 1) over season_so_far as season_win_number,
        count(*) filter (where class_position = 1) over career_so_far as series_win_number,
        count(*) filter (where status <> 'not_started') over career_so_far as career_starts
    from driver_races
    window
        season_so_far as (partition by driver_id, series_id, season
                          order by start_at rows between unbounded preceding and current row),
        career_so_far as (partition by driver_id, series_id
                          order by start_at rows between unbounded preceding and current row)
),

race_max_positions_gained as (
    select session_id, max(positions_gained) as race_max_positions_gained
    from driver_races
    group by session_id
),

noted as (
    -- one row per driver and race, with all its notes print
    select
        counted.driver_id,
        results.*,
        sessions.start_at,
        sessions.session_name,
        sessions.event_id as race_event_id,
        drivers.full_name,
        teams.team_name,
        classes.class_name,
        series.series_name,
        series.careers_counted_from is not null and cast(sessions.start_at as date) >= series.careers_counted_from
            as careers_known,
        results.status <> 'not_started' as started,
        counted.season_win_number,
        counted.series_win_number,
        counted.career_starts,
        race_max_positions_gained.race_max_positions_gained,
        drivers.full_name || ' (No. ' || results.car_number || coalesce(', ' || teams.team_name, '') || ')' as who,
        lap_summary.laps as time_card_laps,
        lap_summary.laps_led,
        lap_summary.led_lap_1,
        class_laps.class_laps
    from counted
    join results on results.session_id = counted.session_id and results.car_number = counted.car_number
    join sessions on sessions.session_id = counted.session_id
    join drivers on drivers.driver_id = counted.driver_id
    left join teams on teams.team_id = results.team_id
    join classes on classes.class_id = results.class_id
    join series on series.series_id = results.series_id
    join race_max_positions_gained on race_max_positions_gained.session_id = counted.session_id
    left join lap_summary on lap_summary.session_id = counted.session_id and lap_summary.car_number = counted.car_number
    left join class_laps on class_laps.session_id = counted.session_id and class_laps.class_id = results.class_id
),

event_wins as (
    select
        driver_id,
        race_event_id,
        class_id,
        count(*) as event_races,
        count(*) filter (where class_position = 1) as event_wins,
        max(start_at) as last_race_start
    from driver_races
    group by driver_id, race_event_id, class_id
),

event_races as (
    select event_id, class_id, count(distinct results.session_id) as races
    from results
    group by event_id, class_id
),

notes as (
    -- season_win: the class winner's Nth class win of the series season.
    select session_id, driver_id, car_number, class_id, 'season_win' as kind, 10 as kind_order,
        season_win_number as value_1, cast(null as bigint) as value_2,
        who || ' won ' || class_name || ' in ' || session_name || ': ' || full_name || '''s '
            || {{ ordinal('season_win_number') }} || ' win of the ' || cast(season as varchar) || ' season.' as sentence
    from noted where class_position = 1

    union all
    -- series_win: the winner's Nth series win in M career starts (from the 2nd win on).
    select session_id, driver_id, car_number, class_id, 'series_win', 20,
        series_win_number, career_starts,
        full_name || '''s ' || {{ ordinal('series_win_number') }} || ' ' || series_name || ' win in '
            || cast(career_starts as varchar) || ' career starts.'
    from noted where class_position = 1 and series_win_number > 1 and careers_known

    union all
    -- first_career_win: the winner's first series win.
    select session_id, driver_id, car_number, class_id, 'first_career_win', 21,
        1, career_starts,
        'First ' || series_name || ' win for ' || full_name || ', in ' || {{ ordinal('career_starts') }}
            || ' career start.'
    from noted where class_position = 1 and series_win_number = 1 and careers_known

    union all
    -- led_every_lap: the car led its class at the end of every lap the class completed.
    select session_id, driver_id, car_number, class_id, 'led_every_lap', 30,
        laps_led, class_laps,
        who || ' led every lap of ' || class_name || ' (' || cast(laps_led as varchar) || ' laps).'
    from noted where laps_led is not null and laps_led = class_laps and class_laps > 0

    union all
    -- class_lead_lap_1: led the class at the end of lap 1 without starting from class pole.
    select session_id, driver_id, car_number, class_id, 'class_lead_lap_1', 40,
        class_grid_position, cast(null as bigint),
        who || ' took the ' || class_name || ' lead on lap 1 from ' || {{ ordinal('class_grid_position') }}
            || ' on the class grid.'
    from noted where led_lap_1 and class_grid_position > 1

    union all
    -- pole_to_win: started from class pole and won the class.
    select session_id, driver_id, car_number, class_id, 'pole_to_win', 50,
        1, 1,
        who || ' won ' || class_name || ' from class pole.'
    from noted where class_grid_position = 1 and class_position = 1

    union all
    -- most_positions_gained: the race-high number of places gained overall (grid - finish), ties all noted.
    select session_id, driver_id, car_number, class_id, 'most_positions_gained', 60,
        positions_gained, grid_position,
        who || ' gained ' || cast(positions_gained as varchar) || ' places, from ' || {{ ordinal('grid_position') }}
            || ' on the grid to ' || {{ ordinal('finish_position') }} || ' overall (' || {{ ordinal('class_position') }}
            || ' in ' || class_name || '), the most of anyone in the race.'
    from noted where positions_gained = race_max_positions_gained and positions_gained > 0

    union all
    -- weekend_sweep: won the class in every race of the event (two races or more); noted on the last one.
    select noted.session_id, noted.driver_id, noted.car_number, noted.class_id, 'weekend_sweep', 70,
        event_wins.event_wins, event_races.races,
        noted.who || ' swept the ' || noted.class_name || ' wins of the weekend ('
            || cast(event_wins.event_wins as varchar)
            || ' of ' || cast(event_races.races as varchar) || ').'
    from noted
    join event_wins
        on event_wins.driver_id = noted.driver_id and event_wins.race_event_id = noted.race_event_id
        and event_wins.class_id = noted.class_id and event_wins.last_race_start = noted.start_at
    join event_races on event_races.event_id = noted.race_event_id and event_races.class_id = noted.class_id
    where event_races.races >= 2 and event_wins.event_wins = event_races.races

    union all
    -- debut: the driver's first race start in the series.
    select session_id, driver_id, car_number, class_id, 'debut', 90,
        cast(null as bigint), cast(null as bigint),
        who || ' made a ' || series_name || ' debut, finishing '
            || coalesce({{ ordinal('class_position') }}, 'unclassified')
            || ' in ' || class_name || '.'
    from noted where started and career_starts = 1 and careers_known
),

official_leaders as (
    -- The officials' drivers' standings published after the round of a race: their leader(s) (one
    -- row each, with the name key to compare) and the reasons the warehouse's points differ.
    select
        leaders.after_session_id,
        leaders.class_name,
        leaders.competitor_key,
        {{ name_key('leaders.competitor_key') }} as name_key,
        leaders.official_total_points,
        string_agg(leaders.competitor_key, ' / ') over (
            partition by leaders.after_session_id, leaders.class_name order by leaders.competitor_key
            rows between unbounded preceding and unbounded following
        ) as official_leader_names,
        count(*) over (partition by leaders.after_session_id, leaders.class_name) as official_leader_count,
        (
            select string_agg(distinct differing.reason, '; ' order by differing.reason)
            from {{ ref('standings_reconciliation') }} as differing
            where differing.championship_key = leaders.championship_key and differing.reason is not null
        ) as reasons
    from (
        select distinct championship_key, after_session_id, class_name, competitor_key, official_total_points
        from {{ ref('standings_reconciliation') }}
        where championship_kind = 'drivers' and cup = 'main' and official_position = 1
            and after_session_id is not null
    ) as leaders
),

official_tables as (
    -- official_leaders without its per-leader keys (competitor_key, name_key), each distinct row once
    select distinct after_session_id, class_name, official_leader_names, official_leader_count,
        official_total_points, reasons
    from official_leaders
),

runners_up as (
    -- the gap from each standings table's leader to the next driver
    select series_id, season, class_id, round_number, min(gap_to_leader) as gap
    from standings where position > 1
    group by series_id, season, class_id, round_number
),

leaders as (
    -- standings_leader: the class leader(s) of the drivers' standings after this race, and whether the
    -- officials' table published after the round agrees.
    select
        standings.after_session_id as session_id,
        standings.driver_id,
        standings.latest_car_number as car_number,
        standings.class_id,
        'standings_leader' as kind,
        80 as kind_order,
        standings.points_counted as value_1,
        runners_up.gap as value_2,
        drivers.full_name || ' leads the ' || classes.class_name || ' standings after round '
            || cast(standings.round_number as varchar) || ' with ' || cast(standings.points_counted as varchar)
            || ' points'
            || case
                   when runners_up.gap = 0 then ', level on points with the next driver and ahead on countback'
                   when runners_up.gap > 0 then ', ' || cast(runners_up.gap as varchar) || ' ahead of the next driver'
                   else ''
               end || '.'
            || case
                   when officials.after_session_id is null then ''
                   when official_match.name_key is not null
                       and official_match.official_total_points = standings.points_counted
                       then ' The official standings agree.'
                   else ' The official standings differ: ' || officials.official_leader_names
                       || case when officials.official_leader_count = 1 then ' leads' else ' lead' end || ' with '
                       || cast(cast(officials.official_total_points as bigint) as varchar) || ' points ('
                       || coalesce(officials.reasons, 'no difference in the sessions') || ').'
               end as sentence
    from standings
    join drivers on drivers.driver_id = standings.driver_id
    join classes on classes.class_id = standings.class_id
    left join official_tables as officials
        on officials.after_session_id = standings.after_session_id and officials.class_name = classes.class_name
    left join official_leaders as official_match
        on official_match.after_session_id = standings.after_session_id
        and official_match.class_name = classes.class_name
        and official_match.name_key = {{ driver_name_key('drivers.first_name', 'drivers.last_name') }}
    left join runners_up
        on runners_up.series_id = standings.series_id and runners_up.season = standings.season
        and runners_up.class_id = standings.class_id and runners_up.round_number = standings.round_number
    where standings.position = 1
        -- only classes that ran in this race
        and exists (
            select 1 from results
            where results.session_id = standings.after_session_id and results.class_id = standings.class_id
        )
),

all_notes as (
    select unioned.*, sessions.event_id, sessions.series_id, sessions.season, sessions.start_at
    from (
        select * from notes
        union all
        select * from leaders
    ) as unioned
    join sessions on sessions.session_id = unioned.session_id
),

final as (
    select
        all_notes.session_id,
        all_notes.event_id,
        all_notes.series_id,
        all_notes.season,
        all_notes.start_at,
        all_notes.class_id,
        all_notes.driver_id,
        all_notes.car_number,
        all_notes.kind,
        cast(all_notes.value_1 as bigint) as value_1,
        cast(all_notes.value_2 as bigint) as value_2,
        all_notes.sentence,
        all_notes.kind_order,
        -- the names the sentence prints
        drivers.full_name as driver_name,
        teams.team_name,
        series.series_name
    from all_notes
    {{ race_notes_name_joins('all_notes') }}
)

select * from final
