{#- The endurance cup's points of every car at every checkpoint, with the basis of its class order. -#}
with

checkpoints as (
    select * from {{ ref('int_endurance_checkpoints_scored') }}
),

final as (
    select
        session_id,
        series_id,
        season,
        event_id,
        checkpoint_order,
        checkpoint,
        class_id,
        car_id,
        team_id,
        car_number,
        checkpoint_position,
        points,
        basis
    from checkpoints
)

select * from final
