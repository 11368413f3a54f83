{#- The names a note prints, joined to a relation `alias` with session_id, car_number, driver_id and
    series_id: the driver's (drivers.full_name), the team of the car in that race (teams.team_name)
    and the series' (series.series_name). -#}
{% macro race_notes_name_joins(alias) -%}
    left join {{ ref('dim_drivers') }} as drivers on drivers.driver_id = {{ alias }}.driver_id
    left join {{ ref('fct_session_results') }} as car_results
        on car_results.session_id = {{ alias }}.session_id and car_results.car_number = {{ alias }}.car_number
    left join {{ ref('dim_teams') }} as teams on teams.team_id = car_results.team_id
    left join {{ ref('dim_series') }} as series on series.series_id = {{ alias }}.series_id
{%- endmacro %}
