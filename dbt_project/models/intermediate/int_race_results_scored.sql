{#-
  Championship points of every car in every race, from the rules in the points seeds:
  - position points by class position (`points_scales`), class-specific rows over `*` rows;
  - pole bonus to the class pole-sitter (class grid position 1) and fastest-lap bonus to the
    car with the fastest race lap of its class (`points_systems`);
  - non-starters get the system's non_starter_points and no bonus;
  - a series season without a points system gets null points (no made-up points).
  An incremental table (macros/incremental.sql) by series season, like int_session_results_ranked
  it reads: a race's pole bonus follows a grid that may come from another session of its event.
-#}
{{ incremental_by_session('session_key', whole_seasons=true) }}
-- depends_on: {{ ref('int_sessions_changed') }}
-- depends_on: {{ ref('int_sessions_identified') }}
{% if is_incremental() %}{% set scope = changed_season_sessions(this, 'session_key') %}{% endif %}
with

results as (
    select * from {{ ref('int_session_results_ranked') }}
    {% if is_incremental() %}where session_key in {{ scope }}{% endif %}
),

systems as (
    select * from {{ ref('points_systems') }}
),

scales as (
    select * from {{ ref('points_scales') }}
),

race_results as (
    select
        results.*,
        min(results.best_lap_ms) filter (where results.status <> 'not_started') over (
            partition by results.session_key, results.class_name
        ) as class_fastest_lap_ms
    from results
    where results.session_type = 'race'
),

with_system as (
    select
        race_results.*,
        systems.pole_bonus,
        systems.fastest_lap_bonus,
        systems.drop_lowest,
        systems.undroppable_last_races,
        systems.non_starter_points,
        systems.series_id is not null as has_points_system,
        row_number() over (
            partition by race_results.session_key, race_results.car_number
            order by (systems.class_name = race_results.class_name) desc
        ) as system_rank
    from race_results
    left join systems
        on systems.series_id = race_results.series_id
        and race_results.season between systems.season_from and systems.season_to
        and (systems.class_name = race_results.class_name or systems.class_name = '*')
),

with_scale as (
    select
        with_system.*,
        scales.points as position_points,
        row_number() over (
            partition by with_system.session_key, with_system.car_number
            order by (scales.class_name = with_system.class_name) desc
        ) as scale_rank
    from with_system
    left join scales
        on scales.series_id = with_system.series_id
        and with_system.season between scales.season_from and scales.season_to
        and (scales.class_name = with_system.class_name or scales.class_name = '*')
        and with_system.class_position >= scales.position_from
        and with_system.class_position <= coalesce(scales.position_to, with_system.class_position)
    where with_system.system_rank = 1
),

final as (
    select
        session_key,
        car_number,
        series_id,
        season,
        event_id,
        class_name,
        class_id,
        team_id,
        car_id,
        status,
        positions_gained,
        class_position,
        class_grid_position,
        has_points_system,
        class_grid_position = 1 and status <> 'not_started' as took_pole,
        best_lap_ms is not null and best_lap_ms = class_fastest_lap_ms and status <> 'not_started' as set_fastest_lap,
        case when has_points_system then
            case
                when status = 'not_started' then coalesce(non_starter_points, 0)
                when status = 'disqualified' then 0
                else coalesce(position_points, 0)
            end
        end as position_points,
        case when has_points_system then
            case when class_grid_position = 1 and status <> 'not_started' then coalesce(pole_bonus, 0) else 0 end
        end as pole_points,
        case when has_points_system then
            case when best_lap_ms = class_fastest_lap_ms and status not in ('not_started', 'disqualified')
                then coalesce(fastest_lap_bonus, 0) else 0 end
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
