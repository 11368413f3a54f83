with

drivers as (
    select * from {{ ref('int_drivers_identified') }}
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
