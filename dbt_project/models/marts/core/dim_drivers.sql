with

drivers as (
    select * from {{ ref('int_drivers_identified') }}
),

final as (
    select
        driver_id,
        {{ arg_max('first_name', 'start_at') }} as first_name,
        {{ arg_max('last_name', 'start_at') }} as last_name,
        trim(
            coalesce({{ arg_max('first_name', 'start_at') }}, '') || ' '
            || coalesce({{ arg_max('last_name', 'start_at') }}, '')
        ) as full_name,
        {{ arg_max('country', 'start_at', where='country is not null') }} as country,
        {{ arg_max('license', 'start_at', where='license is not null') }} as license,
        {{ arg_max('hometown', 'start_at', where='hometown is not null') }} as hometown,
        max(imsa_driver_id) as imsa_driver_id,
        bool_or(is_junior) as was_junior,
        {{ any_value('identity_key') }} as identity_key,
        min(start_at) as first_seen_at,
        max(start_at) as last_seen_at
    from drivers
    group by driver_id
)

select * from final
