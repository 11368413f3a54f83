{#- Incremental (macros/incremental.sql): a build rebuilds only the changed sessions, which include
    every session whose drivers now resolve to another driver_id. Rebuilt whole, it wrote 643,199
    rows per build at 20 seasons. -#}
{{ incremental_by_session() }}
-- depends_on: {{ ref('int_sessions_changed') }}
with

drivers as (
    select * from {{ ref('int_drivers_identified') }}
    {% if is_incremental() %}where session_key in {{ changed_sessions() }}{% endif %}
),

final as (
    select
        session_key as session_id,
        car_number,
        driver_id,
        driver_order,
        is_junior
    from drivers
)

select * from final
