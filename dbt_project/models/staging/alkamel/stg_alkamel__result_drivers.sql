{#- Driver blocks of both classification reports (race and qualifying/practice), one row per driver. -#}
with

{% for report in ['race_results', 'classifications'] %}
{{ report }} as (
    select * from {{ loaded_rows(report) }}
    {%- if report == 'classifications' %} where lower(_report) = 'results'{% endif %}
),
{% endfor %}

unpivoted as (
    {% for report in ['race_results', 'classifications'] -%}
    {%- set outer_loop = loop -%}
    {%- for n in range(1, 7) %}
    select
        _session_key as session_key,
        trim(number) as car_number,
        {{ n }} as driver_order,
        driver{{ n }}_firstname as first_name_delivered,
        driver{{ n }}_secondname as last_name_delivered,
        driver{{ n }}_license as license,
        driver{{ n }}_hometown as hometown,
        driver{{ n }}_country as country,
        driver{{ n }}_shortname as short_name,
        driver{{ n }}_imsa_driverid as imsa_driver_id,
        driver{{ n }}_imsa_driverratinglong as driver_rating,
        _file_path as source_file_path,
        _row_number as source_row_number
    from {{ report }}
    where coalesce(nullif(trim(driver{{ n }}_firstname), ''), nullif(trim(driver{{ n }}_secondname), '')) is not null
    {% if not (outer_loop.last and loop.last) %}union all{% endif %}
    {%- endfor %}
    {%- endfor %}
),

final as (
    select
        session_key,
        car_number,
        driver_order,
        {{ clean_text('first_name_delivered') }} as first_name,
        {{ strip_junior_marker('last_name_delivered') }} as last_name,
        coalesce({{ regexp_matches('last_name_delivered', "'\\(J\\)\\s*$'") }}, false) as is_junior,
        {{ clean_text('license') }} as license,
        {{ clean_text('hometown') }} as hometown,
        {{ clean_text('country') }} as country,
        {{ clean_text('short_name') }} as short_name,
        {{ clean_text('imsa_driver_id') }} as imsa_driver_id,
        {{ clean_text('driver_rating') }} as driver_rating,
        source_file_path,
        source_row_number
    from unpivoted
)

select * from final
