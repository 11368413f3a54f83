with

circuits as (
    select * from {{ ref('circuits') }}
),

final as (
    select
        circuit_id,
        circuit_name,
        cast(length_km as double) as length_km,
        cast(length_miles as double) as length_miles,
        source as length_source
    from circuits
)

select * from final
