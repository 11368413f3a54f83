{#- A table, not a view: identity resolution spans every session of history, and dim_drivers, the
    bridge, fct_laps, int_sessions_changed and the tests each read it (seconds per read at 20 seasons). -#}
{{ config(materialized='table') }}
{#-
  Driver identity, one rule for the whole warehouse:
  - the IMSA driver id when the file carries one: identity_key = 'imsa:<id>';
  - otherwise the normalised full name (accents stripped, lower case, punctuation collapsed,
    the '(J)' junior marker removed): identity_key = 'name:<first> <last>'.
  driver_id = md5(identity_key). A name seen with an IMSA id in some files and without in
  others is joined to the id, so one person keeps one driver_id.
-#}
with

result_drivers as (
    select * from {{ ref('stg_alkamel__result_drivers') }}
),

sessions as (
    select session_id, start_at from {{ ref('int_sessions_identified') }}
),

name_keys as (
    -- The key of each distinct spelling, not of every driver block (a regular expression per row costs seconds).
    select first_name, last_name, {{ name_key("coalesce(first_name, '') || ' ' || coalesce(last_name, '')") }} as name_key
    from (select distinct first_name, last_name from result_drivers)
),

named as (
    select
        result_drivers.*,
        sessions.start_at,
        name_keys.name_key
    from result_drivers
    join sessions on sessions.session_id = result_drivers.session_key
    join name_keys
        on name_keys.first_name is not distinct from result_drivers.first_name
        and name_keys.last_name is not distinct from result_drivers.last_name
),

ids_by_name as (
    -- Names that were ever delivered with an IMSA id take that id everywhere.
    select name_key, min(imsa_driver_id) as imsa_driver_id
    from named
    where imsa_driver_id is not null
    group by name_key
),

identified as (
    select
        named.*,
        case
            when coalesce(named.imsa_driver_id, ids_by_name.imsa_driver_id) is not null
            then 'imsa:' || coalesce(named.imsa_driver_id, ids_by_name.imsa_driver_id)
            else 'name:' || named.name_key
        end as identity_key
    from named
    left join ids_by_name on ids_by_name.name_key = named.name_key
)

select
    md5(identity_key) as driver_id,
    identity_key,
    session_key,
    car_number,
    driver_order,
    first_name,
    last_name,
    is_junior,
    license,
    hometown,
    country,
    short_name,
    coalesce(imsa_driver_id, case when identity_key like 'imsa:%' then substr(identity_key, 6) end) as imsa_driver_id,
    driver_rating,
    name_key,
    start_at
from identified
