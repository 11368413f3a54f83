{#- The sessions whose inputs changed since the last complete, successful build (macros/incremental.sql),
    worked out once per dbt run: the incremental fact tables read this small table instead of each
    comparing the whole ingestion manifest and every driver identity again (seconds at 20 seasons). -#}
{{ config(materialized='table') }}
-- depends_on: {{ ref('int_drivers_identified') }}
{%- set files = built_state_relation('dbt_built_files') %}
{%- set drivers = built_state_relation('dbt_built_drivers') %}

with

{% if files is none or drivers is none or flags.FULL_REFRESH %}
-- No record of a previous build (or a full refresh): every session counts as changed.
changed as (
    select session_key from {{ source('alkamel', 'ingested_files') }}
),
{% else %}
identities as (
    -- per session: its driver blocks and a hash of (car, order, driver_id) over them (an aggregate
    -- of 9,520 sessions to compare, where the blocks themselves were 643,199 rows at 20 seasons)
    select
        session_key,
        count(*) as blocks,
        sum({{ row_hash(['car_number', 'driver_order', 'driver_id']) }}) as identity_hash
    from {{ ref('int_drivers_identified') }}
    group by session_key
),

built_identities as (
    select
        session_id as session_key,
        count(*) as blocks,
        sum({{ row_hash(['car_number', 'driver_order', 'driver_id']) }}) as identity_hash
    from {{ drivers }}
    group by session_id
),

changed as (
    -- a file added, changed, superseded, removed or restored
    {{ changed_file_sessions_sql(source('alkamel', 'ingested_files'), files) }}
    union all
    -- a driver of the session now resolves to another driver_id (identity spans sessions)
    select session_key from (
        (
            select * from identities
            except
            select * from built_identities
        )
        union all
        (
            select * from built_identities
            except
            select * from identities
        )
    ) as identity_changes
),
{% endif %}

final as (
    select distinct session_key as session_id from changed where session_key is not null
)

select * from final
