{#- Circuits of the `circuits` seed, plus circuits only JSON reports name (with the report's length). -#}
with

circuits as (
    select * from {{ ref('circuits') }}
),

reported as (
    select
        circuit_id,
        {{ arg_max('circuit_name_reported', 'start_at') }} as circuit_name,
        {{ arg_max('circuit_length_km_reported', 'start_at') }} as length_km
    from {{ ref('int_sessions_identified') }}
    where circuit_length_km_reported is not null
    group by circuit_id
),

final as (
    select
        circuits.circuit_id,
        circuits.circuit_name,
        cast(circuits.length_km as float8) as length_km,
        cast(circuits.length_miles as float8) as length_miles,
        circuits.source as length_source,
        reported.length_km as reported_length_km
    from circuits
    left join reported on reported.circuit_id = circuits.circuit_id

    union all

    select
        reported.circuit_id,
        reported.circuit_name,
        reported.length_km,
        {{ round_double('reported.length_km / 1.609344', 3) }},
        'circuit length in the JSON report',
        reported.length_km as reported_length_km
    from reported
    where reported.circuit_id not in (select circuits.circuit_id from circuits)
)

select * from final
