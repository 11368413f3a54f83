{#-
  Independent recomputations for the singular tests (issue 26): each starts from the staging views
  of the files (the classification as delivered), the seeds and the session dimension, and never
  from the intermediate models that compute the same thing, so that a test compares two derivations
  instead of restating one. The rules are those of alkamel.md and the seeds:
  - class: the delivered CLASS through the class_aliases seed; status through status_aliases
    (case-insensitive), a qualifying/practice row without STATUS being a non-starter when it has
    neither a time nor a lap;
  - position in class: among the cars of the class with an overall position that started, the
    number of cars at or ahead of it in the overall order (a count, not a row_number());
  - race points: the `race` points_scales row of the class (else the '*' row) for the class position
    among the cars that can score (a non_scoring_entries driver's car scores nothing and moves the
    cars behind it up); none in a round scoring_exclusions takes from the class;
    the points_systems row of the class (else '*') for the pole bonus (class pole: first starter
    of the class on the race's grid report, else in the event's last qualifying before the race),
    the fastest-lap bonus, non-starter points and drops; disqualified cars score no position points.
-#}

{% macro recomputed_class_positions() -%}
    with
    class_aliases as (select alias, class_name from {{ ref('class_aliases') }}),
    status_aliases as (select lower(alias) as alias, status from {{ ref('status_aliases') }}),
    delivered as (
        select session_key as session_id, car_number, finish_position, best_lap_ms, laps, status_delivered, class_delivered
        from {{ ref('stg_alkamel__race_results') }}
        union all
        select session_key, car_number, finish_position, best_lap_ms, laps, status_delivered, class_delivered
        from {{ ref('stg_alkamel__classifications') }}
    ),
    typed as (
        select
            delivered.*,
            coalesce(class_aliases.class_name, delivered.class_delivered) as class_name,
            case
                when delivered.status_delivered is not null then status_aliases.status
                when delivered.best_lap_ms is null and coalesce(delivered.laps, 0) = 0 then 'not_started'
                else 'classified'
            end as status
        from delivered
        left join class_aliases on class_aliases.alias = delivered.class_delivered
        left join status_aliases on status_aliases.alias = lower(delivered.status_delivered)
    ),
    counted as (
        select session_id, class_name, finish_position from typed
        where finish_position is not null and status <> 'not_started'
    )
    select
        typed.*,
        case when typed.finish_position is not null and typed.status <> 'not_started' then (
            select count(*) from counted
            where counted.session_id = typed.session_id
              and counted.class_name is not distinct from typed.class_name
              and counted.finish_position <= typed.finish_position
        ) end as class_position
    from typed
{%- endmacro %}


{% macro recomputed_race_points() -%}
    with
    positions as ({{ recomputed_class_positions() }}),
    sessions as (select * from {{ ref('dim_sessions') }}),
    season_races as (
        select series_id, season, max(race_number_in_season) as last_race_number
        from sessions where session_type = 'race' group by series_id, season
    ),
    race_all as (
        select positions.*, sessions.series_id, sessions.season, sessions.event_id, sessions.start_at,
               sessions.race_number_in_season as race_number, season_races.last_race_number,
               events.event_name
        from positions
        join sessions on sessions.session_id = positions.session_id and sessions.session_type = 'race'
        join {{ ref('dim_events') }} as events on events.event_id = sessions.event_id
        join season_races on season_races.series_id = sessions.series_id and season_races.season = sessions.season
    ),
    non_scoring as (
        -- cars driven by a non-points entry (seed non_scoring_entries, matched on the name's letters)
        select distinct bridge.session_id, bridge.car_number
        from {{ ref('bridge_session_result_drivers') }} as bridge
        join {{ ref('dim_drivers') }} as drivers on drivers.driver_id = bridge.driver_id
        join race_all on race_all.session_id = bridge.session_id and race_all.car_number = bridge.car_number
        join {{ ref('non_scoring_entries') }} as entries
            on entries.series_id = race_all.series_id and entries.season = race_all.season
            and regexp_replace(lower(entries.driver_name), '[^a-z]', '', 'g')
                = regexp_replace(lower(coalesce(drivers.first_name, '') || coalesce(drivers.last_name, '')), '[^a-z]', '', 'g')
    ),
    race as (
        select race_all.*,
               race_all.class_position - (
                       select count(*) from non_scoring join race_all as ahead
                           on ahead.session_id = non_scoring.session_id and ahead.car_number = non_scoring.car_number
                       where ahead.session_id = race_all.session_id and ahead.class_name is not distinct from race_all.class_name
                         and ahead.class_position < race_all.class_position) as scoring_position,
               non_scoring.car_number is not null or exists (
                   select 1 from {{ ref('scoring_exclusions') }} as exclusions
                   where exclusions.series_id = race_all.series_id and exclusions.season = race_all.season
                     and exclusions.class_name = race_all.class_name
                     and {{ regexp_matches('lower(race_all.event_name)', 'exclusions.event_pattern') }}) as scores_nothing
        from race_all
        left join non_scoring on non_scoring.session_id = race_all.session_id and non_scoring.car_number = race_all.car_number
    ),
    grid_report as (
        select session_key as session_id, car_number, grid_position from {{ ref('stg_alkamel__grids') }}
        where car_number is not null and car_number <> ''
    ),
    last_qualifying as (
        select races.session_id, {{ arg_max('qualifying.session_id', 'qualifying.start_at') }} as qualifying_id
        from (select distinct session_id, event_id, start_at from race) as races
        join sessions as qualifying
            on qualifying.event_id = races.event_id and qualifying.session_type = 'qualifying'
            and qualifying.start_at <= races.start_at
        group by races.session_id
    ),
    pole as (
        -- per race and class: the starter first on the grid report, else first in the last qualifying
        select race.session_id, race.class_name,
               case when bool_or(grid_report.session_id is not null) then
                   {{ arg_min('race.car_number', 'grid_report.grid_position', where='grid_report.grid_position is not null') }}
               else
                   {{ arg_min('race.car_number', ['coalesce(qualifying.finish_position, 2147483647)', 'race.car_number'],
                             where='last_qualifying.qualifying_id is not null') }}
               end as pole_car
        from race
        left join grid_report on grid_report.session_id = race.session_id and grid_report.car_number = race.car_number
        left join last_qualifying on last_qualifying.session_id = race.session_id
        left join positions as qualifying
            on qualifying.session_id = last_qualifying.qualifying_id and qualifying.car_number = race.car_number
        where race.status <> 'not_started'
          and (grid_report.session_id is not null
               or not exists (select 1 from grid_report g where g.session_id = race.session_id))
        group by race.session_id, race.class_name
    ),
    fastest as (
        select session_id, class_name, min(best_lap_ms) as class_fastest_lap_ms
        from race where status <> 'not_started' group by session_id, class_name
    ),
    systems as (select * from {{ ref('points_systems') }}),
    scales as (select * from {{ ref('points_scales') }} where points_scale = 'race'),
    scored as (
        select
            race.*,
            coalesce(own_system.series_id, any_system.series_id) is not null and not race.scores_nothing as has_points_system,
            coalesce(own_system.pole_bonus, any_system.pole_bonus, 0) as pole_bonus,
            coalesce(own_system.fastest_lap_bonus, any_system.fastest_lap_bonus, 0) as fastest_lap_bonus,
            coalesce(own_system.drop_lowest, any_system.drop_lowest, 0) as drop_lowest,
            coalesce(own_system.undroppable_last_races, any_system.undroppable_last_races, 0) as undroppable_last_races,
            coalesce(own_system.non_starter_points, any_system.non_starter_points, 0) as non_starter_points,
            coalesce(own_scale.points, any_scale.points, 0) as position_points,
            pole.pole_car = race.car_number as took_pole,
            race.best_lap_ms = fastest.class_fastest_lap_ms as set_fastest_lap
        from race
        left join systems as own_system
            on own_system.series_id = race.series_id and race.season between own_system.season_from and own_system.season_to
            and own_system.class_name = race.class_name
        left join systems as any_system
            on any_system.series_id = race.series_id and race.season between any_system.season_from and any_system.season_to
            and any_system.class_name = '*'
        left join scales as own_scale
            on own_scale.series_id = race.series_id and race.season between own_scale.season_from and own_scale.season_to
            and own_scale.class_name = race.class_name
            and race.scoring_position between own_scale.position_from and coalesce(own_scale.position_to, race.scoring_position)
        left join scales as any_scale
            on any_scale.series_id = race.series_id and race.season between any_scale.season_from and any_scale.season_to
            and any_scale.class_name = '*'
            and race.scoring_position between any_scale.position_from and coalesce(any_scale.position_to, race.scoring_position)
        left join pole on pole.session_id = race.session_id and pole.class_name is not distinct from race.class_name
        left join fastest on fastest.session_id = race.session_id and fastest.class_name is not distinct from race.class_name
    )
    select
        scored.*,
        case when has_points_system then
            case
                when status = 'not_started' then non_starter_points
                when status = 'disqualified' then 0
                else position_points
            end
            + case when status <> 'not_started' and coalesce(took_pole, false) then pole_bonus else 0 end
            + case when status not in ('not_started', 'disqualified') and coalesce(set_fastest_lap, false) then fastest_lap_bonus else 0 end
        end as points
    from scored
{%- endmacro %}


{#- Qualifying points scored again: the sessions the scoring_sessions seed makes score (its first
    matching rule: series, season, type, event, part), each car of the class in the order of the
    delivered classification (class position, then overall position, then car number; a car without a
    position behind the rest) on the `qualifying` scale of points_scales, at the next race of the series
    season (the round: round_session_id); none in a round scoring_exclusions takes from the class. -#}
{% macro recomputed_qualifying_points() -%}
    with
    positions as ({{ recomputed_class_positions() }}),
    sessions as (
        select sessions.*, events.event_name
        from {{ ref('dim_sessions') }} as sessions join {{ ref('dim_events') }} as events using (event_id)
    ),
    rules as (select * from {{ ref('scoring_sessions') }}),
    first_rule as (
        select sessions.session_id, min(rules.rule_order) as rule_order
        from sessions
        join rules
            on rules.series_id = sessions.series_id and sessions.season between rules.season_from and rules.season_to
            and rules.session_type = sessions.session_type
            and (rules.event_pattern is null or {{ regexp_matches('lower(sessions.event_name)', 'rules.event_pattern') }})
            and (rules.part_pattern is null or {{ regexp_matches("lower(coalesce(sessions.session_part, ''))", 'rules.part_pattern') }})
        where sessions.session_type = 'qualifying'
        group by sessions.session_id
    ),
    scoring as (
        select sessions.*, rules.points_scale,
               (select races.session_id from sessions as races
                where races.series_id = sessions.series_id and races.season = sessions.season
                  and races.session_type = 'race' and races.start_at >= sessions.start_at
                order by races.start_at, races.session_id limit 1) as round_session_id
        from sessions
        join first_rule using (session_id)
        join rules on rules.rule_order = first_rule.rule_order
        where rules.points_scale is not null
    ),
    keyed as (
        select positions.*, scoring.series_id, scoring.season, scoring.round_session_id, scoring.points_scale,
               lpad(cast(coalesce(positions.class_position, 99999) as varchar), 5, '0')
               || lpad(cast(coalesce(positions.finish_position, 99999) as varchar), 5, '0') || positions.car_number as order_key
        from positions join scoring using (session_id)
    ),
    placed as (
        select keyed.*,
               1 + (select count(*) from keyed as ahead
                    where ahead.session_id = keyed.session_id and ahead.class_name is not distinct from keyed.class_name
                      and ahead.order_key < keyed.order_key) as scoring_position
        from keyed
    ),
    scales as (select * from {{ ref('points_scales') }} where points_scale = 'qualifying')
    select placed.session_id, placed.car_number, placed.class_name, placed.round_session_id,
           case
               when exists (
                   select 1 from {{ ref('scoring_exclusions') }} as exclusions
                   join sessions as round on round.session_id = placed.round_session_id
                   where exclusions.series_id = placed.series_id and exclusions.season = placed.season
                     and exclusions.class_name = placed.class_name
                     and {{ regexp_matches('lower(round.event_name)', 'exclusions.event_pattern') }}) then null
               when placed.status = 'disqualified' then 0
               else coalesce(
                   (select points from scales where scales.series_id = placed.series_id
                      and placed.season between scales.season_from and scales.season_to and scales.class_name = placed.class_name
                      and placed.scoring_position between scales.position_from and coalesce(scales.position_to, placed.scoring_position)),
                   (select points from scales where scales.series_id = placed.series_id
                      and placed.season between scales.season_from and scales.season_to and scales.class_name = '*'
                      and placed.scoring_position between scales.position_from and coalesce(scales.position_to, placed.scoring_position)),
                   0)
           end as points
    from placed
{%- endmacro %}


{#- How many of a competitor's `n` results up to a round are dropped (int_competitor_results_dropped's
    rule, from points_systems): the results beyond the best (season races - drop_lowest), at most drop_lowest. -#}
{% macro results_to_drop(n, drop_lowest, last_race_number) -%}
    least({{ drop_lowest }}, greatest(0, {{ n }} - ({{ last_race_number }} - {{ drop_lowest }})))
{%- endmacro %}
