{{ config(materialized='table') }}
{#-
  Driver identity, one rule for the whole warehouse: a driver is a person.
  - A driver block with an IMSA driver id: the id delivered most often with the same name and country
    (accents stripped, lower case, punctuation collapsed, the '(J)' junior marker removed), so one
    person seen under two ids (real files do this: Mathieu Jaminet, Antonio Garcia) is one driver,
    unless the seed `driver_identity_exceptions` keeps an id apart (two people, one name);
    identity_key = 'imsa:<id>'.
  - A block without an id: the id delivered most often with that name, else the name itself:
    identity_key = 'name:<first> <last>'.
  driver_id = md5(identity_key).
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
    select first_name, last_name, {{ driver_name_key() }} as name_key
    from (select distinct first_name, last_name from result_drivers) as spellings
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

kept_apart as (
    select cast(imsa_driver_id as varchar) as imsa_driver_id from {{ ref('driver_identity_exceptions') }}
),

delivered_ids as (
    select name_key, country, imsa_driver_id from named where imsa_driver_id is not null
),

ids_by_person as (
    -- One name and one country: one person, under the id delivered most often for them (the smallest
    -- on a tie): a file that gives a driver another driver's id in one block does not carry them off.
    {{ usual_imsa_id(
        'delivered_ids', ['name_key', 'country'], "imsa_driver_id not in (select imsa_driver_id from kept_apart)"
    ) }}
),

ids_by_name as (
    -- A block without an id takes the id delivered most often with its name.
    {{ usual_imsa_id('delivered_ids', ['name_key']) }}
),

identified as (
    select
        named.*,
        case
            when named.imsa_driver_id in (select kept_apart.imsa_driver_id from kept_apart)
                then 'imsa:' || named.imsa_driver_id
            when named.imsa_driver_id is not null
                then 'imsa:' || coalesce(ids_by_person.imsa_driver_id, named.imsa_driver_id)
            when ids_by_name.imsa_driver_id is not null then 'imsa:' || ids_by_name.imsa_driver_id
            else 'name:' || named.name_key
        end as identity_key
    from named
    left join ids_by_person
        on ids_by_person.name_key = named.name_key and ids_by_person.country is not distinct from named.country
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
    imsa_driver_id as delivered_imsa_driver_id,
    driver_rating,
    name_key,
    start_at
from identified
